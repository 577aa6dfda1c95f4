import Joi from 'joi';
import { isValidTimeZone, type OpeningPeriod, overlappingPeriods } from './opening-hours.js';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_RADIUS_KM = 10;
export const MAX_RADIUS_KM = 50;
export const SORTS = ['rating', 'distance', 'name', 'popular'] as const;
export type RestaurantSort = (typeof SORTS)[number];

const slug = Joi.string()
  .pattern(/^[a-z]+(?:-[a-z]+)*$/)
  .max(40)
  .messages({ 'string.pattern.base': '{#label} must be a lowercase slug such as "thai" or "middle-eastern"' });

const location = Joi.object({
  lat: Joi.number().min(-90).max(90).required(),
  lng: Joi.number().min(-180).max(180).required(),
});

const address = Joi.object({
  street: Joi.string().trim().min(1).max(200).required(),
  city: Joi.string().trim().min(1).max(100).required(),
  postalCode: Joi.string().trim().min(1).max(20).required(),
  location: location.required(),
});

const timeZone = Joi.string()
  .custom((value: string, helpers) => (isValidTimeZone(value) ? value : helpers.error('any.invalid')))
  .messages({ 'any.invalid': '{#label} must be an IANA time zone such as "America/New_York"' });

const period = Joi.object<OpeningPeriod>({
  day: Joi.number().integer().min(0).max(6).required(),
  open: Joi.string()
    .pattern(/^(?:[01]\d|2[0-3]):[0-5]\d$/)
    .required()
    .messages({ 'string.pattern.base': '{#label} must be a time from "00:00" to "23:59"' }),
  close: Joi.string()
    .pattern(/^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/)
    .required()
    .messages({ 'string.pattern.base': '{#label} must be a time from "00:01" to "24:00"' }),
})
  .custom(
    (value: OpeningPeriod, helpers) => (value.close > value.open ? value : helpers.error('period.order')),
    'close after open',
  )
  .messages({
    'period.order': '{#label} must close after it opens (hours past midnight are a second entry on the next day)',
  });

const openingHours = Joi.array()
  .items(period)
  .max(28)
  .custom((value: OpeningPeriod[], helpers) => {
    const overlaps = overlappingPeriods(value);
    return overlaps.length === 0 ? value : helpers.error('hours.overlap', { overlaps: overlaps.join('; ') });
  })
  .messages({ 'hours.overlap': '{#label} has overlapping periods: {#overlaps}' });

const restaurantFields = {
  name: Joi.string().trim().min(1).max(120),
  description: Joi.string().trim().max(2000).allow(''),
  cuisine: slug,
  phone: Joi.string()
    .trim()
    .pattern(/^\+?[0-9 ()-]{5,30}$/)
    .messages({ 'string.pattern.base': '{#label} must be a phone number' }),
  address,
  timeZone,
  openingHours,
  deliveryFeeCents: Joi.number().integer().min(0).max(100_000),
  minOrderCents: Joi.number().integer().min(0).max(1_000_000),
  prepTimeMinutes: Joi.number().integer().min(1).max(240),
  isAcceptingOrders: Joi.boolean(),
};

export interface RestaurantInput {
  name: string;
  description?: string;
  cuisine: string;
  phone?: string;
  address: { street: string; city: string; postalCode: string; location: { lat: number; lng: number } };
  timeZone?: string;
  openingHours: OpeningPeriod[];
  deliveryFeeCents: number;
  minOrderCents: number;
  prepTimeMinutes: number;
  isAcceptingOrders?: boolean;
}

export type RestaurantChanges = Partial<RestaurantInput>;

export const createRestaurantSchema = Joi.object<RestaurantInput>({
  ...restaurantFields,
  name: restaurantFields.name.required(),
  cuisine: restaurantFields.cuisine.required(),
  address: restaurantFields.address.required(),
  openingHours: restaurantFields.openingHours.required(),
  deliveryFeeCents: restaurantFields.deliveryFeeCents.required(),
  minOrderCents: restaurantFields.minOrderCents.required(),
  prepTimeMinutes: restaurantFields.prepTimeMinutes.required(),
});

export const updateRestaurantSchema = Joi.object<RestaurantChanges>(restaurantFields)
  .min(1)
  .messages({ 'object.min': 'at least one field to change is required' });

export const restaurantIdParams = Joi.object({ id: Joi.string().guid().required() });

export interface ListQuery {
  q?: string;
  cuisine?: string;
  ownerId?: string;
  isOpen?: boolean;
  minRating?: number;
  near?: { lat: number; lng: number };
  radiusKm?: number;
  sort: RestaurantSort;
  page: number;
  pageSize: number;
}

const near = Joi.string()
  .custom((value: string, helpers) => {
    const match = /^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$/.exec(value);
    const lat = Number(match?.[1]);
    const lng = Number(match?.[2]);
    if (!match || Math.abs(lat) > 90 || Math.abs(lng) > 180) return helpers.error('near.format');
    return { lat, lng };
  })
  .messages({ 'near.format': '{#label} must be "lat,lng" with lat in -90..90 and lng in -180..180' });

/** Without `near` the default order is by rating; with it, by distance within `radiusKm` (default 10). */
export const listQuerySchema = Joi.object<ListQuery>({
  q: Joi.string().trim().min(1).max(100),
  cuisine: slug,
  ownerId: Joi.string().guid(),
  isOpen: Joi.boolean(),
  minRating: Joi.number().min(0).max(5),
  near,
  radiusKm: Joi.number().greater(0).max(MAX_RADIUS_KM),
  sort: Joi.string()
    .valid(...SORTS)
    .default((parent: { near?: unknown }) => (parent.near ? 'distance' : 'rating')),
  page: Joi.number().integer().min(1).max(10_000).default(1),
  pageSize: Joi.number().integer().min(1).max(MAX_PAGE_SIZE).default(20),
})
  .with('radiusKm', 'near')
  .custom((value: ListQuery, helpers) =>
    value.sort === 'distance' && !value.near ? helpers.error('sort.near') : value,
  )
  .messages({ 'sort.near': 'sort=distance needs near=lat,lng' });
