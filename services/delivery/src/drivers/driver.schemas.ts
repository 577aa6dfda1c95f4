import type { LatLng } from '@foodflow/platform';
import Joi from 'joi';

export interface AvailabilityBody {
  online: boolean;
  location: LatLng;
}

export const latLngSchema = Joi.object<LatLng>({
  lat: Joi.number().min(-90).max(90).required(),
  lng: Joi.number().min(-180).max(180).required(),
});

export const availabilityBody = Joi.object<AvailabilityBody>({
  online: Joi.boolean().strict().required(),
  location: latLngSchema.required(),
});
