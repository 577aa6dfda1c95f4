import { AppError, type Logger, validateValue } from '@foodflow/platform';
import { orderRoom } from '../realtime/realtime.js';
import type { SocketServer, TrackingSocket } from '../realtime/socket-server.js';
import { trackRequest } from './tracking.schemas.js';
import type { Tracking, TrackingService } from './tracking.service.js';

type Ack = (reply: { ok: true; tracking?: Tracking } | { ok: false; error: { code: string; message: string } }) => void;

const failure = (err: unknown) => {
  const known = err instanceof AppError && err.status < 500 ? err : undefined;
  const code = err instanceof AppError ? err.code : 'INTERNAL_ERROR';
  return { ok: false as const, error: { code, message: known?.message ?? 'The request could not be completed' } };
};

/**
 * `track` joins an order's room with exactly the REST endpoint's authorization and answers with a fresh
 * snapshot (taken after joining, so nothing falls between the two); `untrack` leaves it.
 */
export function registerTrackingHandlers(io: SocketServer, tracking: TrackingService, logger: Logger): void {
  io.on('connection', (socket: TrackingSocket) => {
    const { user } = socket.data;

    socket.on('track', async (payload: unknown, ack: unknown) => {
      const reply: Ack = typeof ack === 'function' ? (ack as Ack) : () => undefined;
      try {
        const { orderId } = validateValue(trackRequest, payload);
        const order = await tracking.authorize(user, orderId);
        await socket.join(orderRoom(orderId));
        reply({ ok: true, tracking: await tracking.snapshot(order) });
      } catch (err) {
        if (!(err instanceof AppError)) logger.error('track failed', { err });
        reply(failure(err));
      }
    });

    socket.on('untrack', async (payload: unknown, ack: unknown) => {
      const reply: Ack = typeof ack === 'function' ? (ack as Ack) : () => undefined;
      try {
        const { orderId } = validateValue(trackRequest, payload);
        await socket.leave(orderRoom(orderId));
        reply({ ok: true });
      } catch (err) {
        reply(failure(err));
      }
    });
  });
}
