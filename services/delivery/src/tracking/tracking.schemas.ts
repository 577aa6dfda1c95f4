import Joi from 'joi';

export interface TrackRequest {
  orderId: string;
}

export const trackRequest = Joi.object<TrackRequest>({ orderId: Joi.string().guid().required() });
