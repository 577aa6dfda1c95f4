import { ORDER_STATUSES, type OrderStatus } from '@foodflow/platform';
import Joi from 'joi';
import type { PaymentInput } from '../payments/payment.service.js';

export interface CheckoutInput {
  addressId: string;
  payment: PaymentInput;
  notes?: string;
}

export const checkoutSchema = Joi.object<CheckoutInput>({
  addressId: Joi.string().guid().required(),
  payment: Joi.alternatives()
    .conditional('.method', {
      switch: [
        {
          is: 'card',
          then: Joi.object({
            method: Joi.string().valid('card').required(),
            cardToken: Joi.string().max(255).required(),
          }),
        },
        { is: 'cash', then: Joi.object({ method: Joi.string().valid('cash').required() }) },
      ],
      otherwise: Joi.object({ method: Joi.string().valid('card', 'cash').required() }).unknown(true),
    })
    .required(),
  notes: Joi.string().trim().max(500).allow(''),
});

/** What makes two checkout requests "the same" for an Idempotency-Key. */
export const checkoutFingerprintParts = (input: CheckoutInput): unknown[] => [
  input.addressId,
  input.payment.method,
  input.payment.method === 'card' ? input.payment.cardToken : null,
  input.notes ?? null,
];

export interface StatusChangeInput {
  status: OrderStatus;
  reason?: string;
}

export const statusChangeSchema = Joi.object<StatusChangeInput>({
  status: Joi.string()
    .valid(...ORDER_STATUSES)
    .required(),
  reason: Joi.string().trim().min(1).max(500),
});

export interface ListOrdersQuery {
  status?: OrderStatus;
  page: number;
  pageSize: number;
}

export const listOrdersSchema = Joi.object<ListOrdersQuery>({
  status: Joi.string().valid(...ORDER_STATUSES),
  page: Joi.number().integer().min(1).max(100_000).default(1),
  pageSize: Joi.number().integer().min(1).max(100).default(20),
});

export const orderParamsSchema = Joi.object<{ id: string }>({ id: Joi.string().guid().required() });
