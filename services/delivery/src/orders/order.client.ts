import { AppError, InternalClient } from '@foodflow/platform';
import { SERVICE_NAME } from '../config.js';
import type { OrderCopy } from './order-copy.repository.js';

/**
 * The order service as this service sees it: the order's parties and status, asked for only while
 * `order.created` has not yet reached the copy. An unreachable or failing order service is 503
 * `DEPENDENCY_UNAVAILABLE` (the platform's client), so the caller may retry.
 */
export class OrderClient {
  private readonly client: InternalClient;

  constructor(options: { baseUrl: string; secret: string; timeoutMs: number }) {
    this.client = new InternalClient({ ...options, caller: SERVICE_NAME, target: 'order-service' });
  }

  /** Undefined when the order service knows no such order either. */
  async find(orderId: string): Promise<OrderCopy | undefined> {
    try {
      return await this.client.get<OrderCopy>(`/internal/orders/${encodeURIComponent(orderId)}`);
    } catch (err) {
      if (err instanceof AppError && err.code === 'NOT_FOUND') return undefined;
      throw err;
    }
  }
}
