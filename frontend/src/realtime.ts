import { io, type Socket } from 'socket.io-client';
import { API_BASE, refreshTokens } from './api.js';
import { session } from './session.js';
import type { LocationUpdate, Notification, StatusChange, Tracking } from './types.js';

/**
 * The one Socket.IO connection of a signed-in user: notifications for everyone, and live tracking for
 * the orders a screen watches. Tracked orders are asked for again after every reconnect, since a new
 * connection starts with no rooms.
 */

export interface TrackHandlers {
  onLocation?: (update: LocationUpdate) => void;
  onStatus?: (change: StatusChange) => void;
  onRefused?: (code: string) => void;
}

type TrackAck = { ok: true; tracking: Tracking } | { ok: false; error: { code: string } };

let socket: Socket | null = null;
const tracked = new Map<string, Set<TrackHandlers>>();
const notificationListeners = new Set<(notification: Notification) => void>();
const connectionListeners = new Set<(connected: boolean) => void>();

/** The tracking copy of an order arrives by event a moment after the order is placed: ask again meanwhile. */
const NOT_FOUND_RETRIES = 10;
const NOT_FOUND_RETRY_MS = 1000;

function askToTrack(orderId: string, retriesLeft = NOT_FOUND_RETRIES): void {
  socket?.emit('track', { orderId }, (ack: TrackAck) => {
    if (ack.ok || !tracked.has(orderId)) return;
    if (ack.error.code === 'NOT_FOUND' && retriesLeft > 0) {
      setTimeout(() => {
        if (tracked.has(orderId) && socket?.connected) askToTrack(orderId, retriesLeft - 1);
      }, NOT_FOUND_RETRY_MS);
      return;
    }
    for (const handlers of tracked.get(orderId) ?? []) handlers.onRefused?.(ack.error.code);
  });
}

/** Reconnects with a fresh access token: the server refuses an expired one and drops a connection when its token ends. */
async function reconnectWithFreshToken(): Promise<void> {
  if (await refreshTokens()) socket?.connect();
}

function connect(): void {
  if (socket || !session.get()) return;
  socket = io(API_BASE || window.location.origin, {
    path: '/socket.io',
    // Read at every handshake, so a reconnect presents the latest access token.
    auth: (send) => send({ token: session.get()?.accessToken ?? '' }),
    // One upgrade request: no long-polling session to keep on one instance, no cross-origin polling.
    transports: ['websocket'],
  });
  socket.on('connect', () => {
    for (const listener of connectionListeners) listener(true);
    for (const orderId of tracked.keys()) askToTrack(orderId);
  });
  socket.on('disconnect', (reason) => {
    for (const listener of connectionListeners) listener(false);
    if (reason === 'io server disconnect') void reconnectWithFreshToken();
  });
  socket.on('connect_error', (err: Error & { data?: { code?: string } }) => {
    if (err.data?.code === 'TOKEN_EXPIRED') void reconnectWithFreshToken();
  });
  socket.on('notification', (notification: Notification) => {
    for (const listener of notificationListeners) listener(notification);
  });
  socket.on('location_update', (update: LocationUpdate) => {
    for (const handlers of tracked.get(update.orderId) ?? []) handlers.onLocation?.(update);
  });
  socket.on('status_change', (change: StatusChange) => {
    for (const handlers of tracked.get(change.orderId) ?? []) handlers.onStatus?.(change);
  });
}

function disconnect(): void {
  socket?.disconnect();
  socket = null;
}

let signedInAs = session.get()?.user.id ?? null;
session.onChange((next) => {
  const userId = next?.user.id ?? null;
  if (userId === signedInAs) return;
  signedInAs = userId;
  disconnect();
  if (userId) connect();
});

export const realtime = {
  connect,
  isConnected: (): boolean => socket?.connected ?? false,

  /** Watches one order live until the returned function is called. */
  track(orderId: string, handlers: TrackHandlers): () => void {
    connect();
    let watchers = tracked.get(orderId);
    if (!watchers) {
      watchers = new Set();
      tracked.set(orderId, watchers);
      if (socket?.connected) askToTrack(orderId);
    }
    watchers.add(handlers);
    return () => {
      watchers.delete(handlers);
      if (watchers.size > 0) return;
      tracked.delete(orderId);
      socket?.emit('untrack', { orderId });
    };
  },

  onNotification(listener: (notification: Notification) => void): () => void {
    notificationListeners.add(listener);
    return () => notificationListeners.delete(listener);
  },

  onConnectionChange(listener: (connected: boolean) => void): () => void {
    connectionListeners.add(listener);
    return () => connectionListeners.delete(listener);
  },
};
