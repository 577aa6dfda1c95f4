import Joi from 'joi';
import { DELIVERY_STATUSES, type DeliveryStatus } from '@foodflow/platform';

/**
 * A UUID as PostgreSQL prints it (hyphenated, lowercase; capitals are lowered): ids name Socket.IO rooms and
 * are matched against stored ones, and one malformed id must never fail a statement shared with others.
 */
export const uuid = Joi.string().guid({ separator: '-', wrapper: false }).lowercase();

export const deliveryIdParams = Joi.object({ id: uuid.required() });

export interface ListDeliveriesQuery {
  status?: DeliveryStatus;
  page: number;
  pageSize: number;
}

export const listDeliveriesQuery = Joi.object<ListDeliveriesQuery>({
  status: Joi.string().valid(...DELIVERY_STATUSES),
  page: Joi.number().integer().min(1).default(1),
  pageSize: Joi.number().integer().min(1).max(100).default(20),
});

export interface DeliveryStatusBody {
  status: 'picked_up' | 'delivered';
}

export const deliveryStatusBody = Joi.object<DeliveryStatusBody>({
  status: Joi.string().valid('picked_up', 'delivered').required(),
});

export interface LocationBody {
  lat: number;
  lng: number;
  heading?: number;
  speedKmh?: number;
}

export const locationBody = Joi.object<LocationBody>({
  lat: Joi.number().min(-90).max(90).required(),
  lng: Joi.number().min(-180).max(180).required(),
  heading: Joi.number().min(0).max(360),
  speedKmh: Joi.number().min(0).max(250),
});
