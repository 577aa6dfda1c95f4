import type { DeliveryEvent, OrderReady, OrderRef, OrderWithDriver } from '@foodflow/platform';
import Joi from 'joi';

/**
 * The event data this service relies on. Publishers may add fields ("at least" in the contract), so
 * unknown ones pass; a missing or malformed field fails validation, which parks the message.
 */
const id = Joi.string().guid().required();
const point = Joi.object({
  lat: Joi.number().min(-90).max(90).required(),
  lng: Joi.number().min(-180).max(180).required(),
})
  .unknown(true)
  .required();

export const orderRefSchema = Joi.object<OrderRef>({
  orderId: id,
  customerId: id,
  restaurantId: id,
  restaurantOwnerId: id,
}).unknown(true);

export const orderReadySchema = Joi.object<OrderReady>({
  orderId: id,
  customerId: id,
  restaurantId: id,
  restaurantOwnerId: id,
  pickup: point,
  dropoff: point,
}).unknown(true);

export const orderWithDriverSchema = Joi.object<OrderWithDriver>({
  orderId: id,
  customerId: id,
  restaurantId: id,
  restaurantOwnerId: id,
  driverId: id,
}).unknown(true);

export const deliveryEventSchema = Joi.object<DeliveryEvent>({
  deliveryId: id,
  orderId: id,
  driverId: id,
}).unknown(true);
