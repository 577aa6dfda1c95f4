import { type Logger, type Redis, type Revocation, REVOCATIONS_CHANNEL, revokes } from '@foodflow/platform';
import type { SocketServer } from './socket-server.js';

/**
 * Closes this instance's sockets whose token was just revoked (logout, a stolen refresh token's family),
 * as the user service announces it: a tracking connection must not outlive a logout by the rest of its
 * token's lifetime. Every instance hears each announcement and closes its own sockets.
 */
export function closeRevokedSockets(
  io: SocketServer,
  subscriber: Redis,
  logger: Logger,
): { stop: () => Promise<void> } {
  subscriber.on('message', (_channel: string, message: string) => {
    let revocation: Revocation;
    try {
      revocation = JSON.parse(message) as Revocation;
    } catch {
      logger.warn('Ignoring a malformed revocation announcement');
      return;
    }
    for (const socket of io.of('/').sockets.values()) {
      if (revokes(revocation, socket.data.user)) socket.disconnect(true);
    }
  });
  subscriber.subscribe(REVOCATIONS_CHANNEL).catch((err: unknown) => {
    logger.warn('Could not listen for revocations; sockets will close when their tokens expire', { err });
  });
  return {
    stop: async () => {
      await subscriber.quit().catch(() => undefined);
    },
  };
}
