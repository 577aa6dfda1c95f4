import { randomUUID } from 'node:crypto';
import Joi from 'joi';

/** The topic exchange all domain events travel through. */
export const ORDERS_EXCHANGE = 'orders_exchange';

/** Every event on the wire: `type` is also the routing key and `id` is also the AMQP `messageId`. */
export interface EventEnvelope<T = unknown> {
  id: string;
  type: string;
  version: number;
  occurredAt: string;
  correlationId: string | null;
  data: T;
}

export const envelopeSchema = Joi.object<EventEnvelope>({
  id: Joi.string().guid().required(),
  type: Joi.string()
    .pattern(/^[a-z]+\.[a-z_]+$/)
    .required(),
  version: Joi.number().integer().min(1).required(),
  occurredAt: Joi.string().isoDate().required(),
  correlationId: Joi.string().allow(null).required(),
  data: Joi.object().required(),
}).unknown(false);

export function createEvent<T>(type: string, data: T, correlationId?: string | null): EventEnvelope<T> {
  return {
    id: randomUUID(),
    type,
    version: 1,
    occurredAt: new Date().toISOString(),
    correlationId: correlationId ?? null,
    data,
  };
}
