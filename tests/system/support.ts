/**
 * What a person does through the public API: the whole-stack tests and the traffic simulator share
 * these calls (`scripts/lib/traffic/journey.ts`).
 */
export {
  type Account,
  CITY,
  connectSocket,
  openRestaurant,
  placeOrder,
  register,
  saveAddress,
  setStatus,
} from '../../scripts/lib/traffic/journey.js';
