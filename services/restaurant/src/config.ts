import Joi from 'joi';
import { type Env, loadServiceConfig } from '@foodflow/platform';
import { isValidTimeZone } from './restaurants/opening-hours.js';

export const SERVICE_NAME = 'restaurant-service';

export interface RestaurantSettings {
  /** The IANA zone a restaurant created without `timeZone` keeps its hours in. */
  defaultTimeZone: string;
}

export function loadConfig(env: Env = process.env) {
  return loadServiceConfig<RestaurantSettings>(
    {
      service: SERVICE_NAME,
      port: 3002,
      databaseRole: 'restaurants_service',
      broker: true,
      extra: {
        keys: {
          DEFAULT_TIME_ZONE: Joi.string()
            .default('America/New_York')
            .custom((value: string, helpers) => (isValidTimeZone(value) ? value : helpers.error('any.invalid')))
            .messages({ 'any.invalid': '"DEFAULT_TIME_ZONE" must be an IANA time zone' }),
        },
        map: (values) => ({ defaultTimeZone: values['DEFAULT_TIME_ZONE'] as string }),
      },
    },
    env,
  );
}

export type RestaurantConfig = ReturnType<typeof loadConfig>;
