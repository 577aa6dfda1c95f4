import { AppError, guardPeerCall, InternalClient, type Logger } from '@foodflow/platform';
import { SERVICE_NAME } from '../config.js';
import type { OrderCopy } from './order-copy.repository.js';

/**
 * The order service as this service sees it: the order's parties and status, asked for only while
 * `order.created` has not yet reached the copy, behind a circuit breaker. An unreachable or failing order
 * service is 503 `DEPENDENCY_UNAVAILABLE`, so the caller may retry.
 */
export class OrderClient {
  private readonly order;

  constructor(options: { baseUrl: string; secret: string; timeoutMs: number; breakerResetMs: number; logger: Logger }) {
    const client = new InternalClient({ ...options, caller: SERVICE_NAME, target: 'order-service' });
    this.order = guardPeerCall(
      (orderId: string) => client.get<OrderCopy>(`/internal/orders/${encodeURIComponent(orderId)}`),
      {
        peer: 'order service',
        timeoutMs: options.timeoutMs,
        resetMs: options.breakerResetMs,
        logger: options.logger,
      },
    );
  }

  /** Undefined when the order service knows no such order either. */
  async find(orderId: string): Promise<OrderCopy | undefined> {
    try {
      return await this.order.fire(orderId);
    } catch (err) {
      if (err instanceof AppError && err.code === 'NOT_FOUND') return undefined;
      throw err;
    }
  }

  close(): void {
    this.order.shutdown();
  }
}
