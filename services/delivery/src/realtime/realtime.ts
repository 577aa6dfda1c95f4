import { inSpanSync, SpanKind } from '@foodflow/platform';
import type { Server } from 'socket.io';

export const orderRoom = (orderId: string): string => `order:${orderId}`;
export const userRoom = (userId: string): string => `user:${userId}`;

export interface LocationUpdate {
  orderId: string;
  deliveryId: string;
  lat: number;
  lng: number;
  heading: number | null;
  speedKmh: number | null;
  at: string;
}

export interface StatusChange {
  orderId: string;
  deliveryId: string | null;
  status: string;
  at: string;
}

export interface Notification {
  id: string;
  type: string;
  orderId: string;
  message: string;
  at: string;
}

/**
 * What the service pushes to clients. Rooms live in the adapter, so an emit from any instance reaches
 * the sockets connected to every instance.
 */
export class Realtime {
  constructor(private readonly io: Server) {}

  locationUpdate(update: LocationUpdate): void {
    this.emit(orderRoom(update.orderId), 'location_update', update);
  }

  statusChange(change: StatusChange): void {
    this.emit(orderRoom(change.orderId), 'status_change', change);
  }

  notify(userId: string, notification: Notification): void {
    this.emit(userRoom(userId), 'notification', notification);
  }

  /** Each push is a span of the trace that caused it (the request or the event), ending the story there. */
  private emit(room: string, event: string, payload: unknown): void {
    inSpanSync(
      {
        name: `emit ${event}`,
        kind: SpanKind.PRODUCER,
        attributes: { 'messaging.system': 'socket.io', 'messaging.destination.name': room },
      },
      () => this.io.to(room).emit(event, payload),
    );
  }
}
