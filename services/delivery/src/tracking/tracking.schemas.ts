import Joi from 'joi';
import { uuid } from '../deliveries/delivery.schemas.js';

export interface TrackRequest {
  orderId: string;
}

export const trackRequest = Joi.object<TrackRequest>({ orderId: uuid.required() });
