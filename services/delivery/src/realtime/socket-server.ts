import type { Server as HttpServer } from 'node:http';
import { AppError, type AuthUser, type Logger, type Metrics, type Redis, type TokenVerifier } from '@foodflow/platform';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { type DefaultEventsMap, Server, type Socket } from 'socket.io';
import { userRoom } from './realtime.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

export interface SocketData {
  user: AuthUser;
}

export type TrackingSocket = Socket<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, SocketData>;
export type SocketServer = Server<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, SocketData>;

export interface SocketServerOptions {
  server: HttpServer;
  verifier: TokenVerifier;
  /** The adapter's own connection (it opens a second one for its blocking stream reads). */
  redis: Redis;
  logger: Logger;
  metrics: Metrics;
  streamName: string;
  recoveryWindowMs: number;
}

/** A handshake refusal the client sees as `connect_error`, with the contract code in `err.data.code`. */
const refusal = (err: unknown): Error => {
  const code = err instanceof AppError ? err.code : 'UNAUTHENTICATED';
  const message = err instanceof AppError ? err.message : 'A valid access token is required';
  return Object.assign(new Error(message), { data: { code } });
};

/**
 * Socket.IO on the service's HTTP server. Every connection proves who it is with an access token at the
 * handshake and joins its user's room (for notifications). Rooms and missed-packet buffers live in Redis
 * streams, so instances share rooms and a client that briefly drops gets what it missed (state recovery).
 */
export function createSocketServer(options: SocketServerOptions): SocketServer {
  // The adapter writes one stream entry per broadcast: those made in one turn of the event loop (a batch of
  // positions) leave in one write instead of one each. Read per command, so setting it here is enough.
  options.redis.options.enableAutoPipelining = true;
  const io: SocketServer = new Server(options.server, {
    path: '/socket.io',
    serveClient: false,
    // Frequent small frames: compressing each costs more CPU (and a zlib context per socket) than it saves.
    perMessageDeflate: false,
    adapter: createAdapter(options.redis, { streamName: options.streamName, onlyPlaintext: true }),
    connectionStateRecovery: { maxDisconnectionDuration: options.recoveryWindowMs, skipMiddlewares: false },
  });

  io.use((socket, next) => {
    const token: unknown = socket.handshake.auth['token'];
    if (typeof token !== 'string' || token.length === 0) {
      next(refusal(new AppError('UNAUTHENTICATED', 'An access token is required in the handshake auth')));
      return;
    }
    options.verifier.verify(token).then(
      (user) => {
        socket.data.user = user;
        next();
      },
      (err: unknown) => next(refusal(err)),
    );
  });

  io.on('connection', (socket) => {
    const { user } = socket.data;
    void socket.join(userRoom(user.id));
    // A connection lives no longer than the token that opened it; the client reconnects with a fresh one.
    // Clamped: timers longer than about 24.8 days would fire at once.
    const expiry = setTimeout(
      () => socket.disconnect(true),
      Math.min(MAX_TIMER_MS, Math.max(0, user.expiresAt * 1000 - Date.now())),
    );
    socket.once('disconnect', () => clearTimeout(expiry));
  });

  io.engine.on('connection_error', (err: { message: string }) => {
    options.logger.debug('Socket.IO connection refused', { err: { message: err.message } });
  });

  options.metrics.gauge({
    name: 'socket_connections',
    help: 'Socket.IO clients connected to this instance',
    collect() {
      this.set(io.engine.clientsCount);
    },
  });
  return io;
}
