/**
 * Who may do what, written down once: for every route, what each kind of caller is answered, on their
 * own resource and on another user's. Where `../shared/API.md` says who may call a route, the answer
 * follows it; where it is silent, the answer is the one a user would expect and the services give:
 *
 * - a signed-out caller on a guarded route: 401 at the gateway;
 * - a signed-in caller whose role the route does not admit: 403;
 * - someone else's private resource (an address, an order, a delivery): 404, exactly as if it did not
 *   exist, so ids reveal nothing; someone else's public resource (a restaurant, its menu, an order's
 *   tracking, whose ids the caller may well hold): 403;
 * - a driver asking the order service to move an order: 409, as for any step their role may not take
 *   (drivers move orders through their deliveries).
 *
 * `own` is the caller's own resource of the route's kind (their address, their restaurant's category,
 * the order they placed, prepare or deliver, their delivery); `other` is another user's. A plain number
 * is the answer whichever it is, and also where ownership plays no part (lists, profile, sign-in) or the
 * caller cannot own such a resource (a customer and restaurants, a signed-out caller and anything).
 */
export const CALLERS = ['anonymous', 'customer', 'restaurant_owner', 'driver', 'admin'] as const;
export type Caller = (typeof CALLERS)[number];
export type Answer = number | { own: number; other: number };

export const AUTHORIZATION: Record<string, Record<Caller, Answer>> = {
  'POST /api/auth/register': { anonymous: 201, customer: 201, restaurant_owner: 201, driver: 201, admin: 201 },
  'POST /api/auth/login': { anonymous: 200, customer: 200, restaurant_owner: 200, driver: 200, admin: 200 },
  // A refresh token is itself the credential, whoever presents it.
  'POST /api/auth/refresh': { anonymous: 200, customer: 200, restaurant_owner: 200, driver: 200, admin: 200 },
  // With another user's refresh token the caller still signs out; that other family is left alone.
  'POST /api/auth/logout': { anonymous: 401, customer: 204, restaurant_owner: 204, driver: 204, admin: 204 },
  'GET /api/users/profile': { anonymous: 401, customer: 200, restaurant_owner: 200, driver: 200, admin: 200 },
  'PUT /api/users/profile': { anonymous: 401, customer: 200, restaurant_owner: 200, driver: 200, admin: 200 },
  'GET /api/users/addresses': { anonymous: 401, customer: 200, restaurant_owner: 200, driver: 200, admin: 200 },
  'POST /api/users/addresses': { anonymous: 401, customer: 201, restaurant_owner: 201, driver: 201, admin: 201 },
  'PUT /api/users/addresses/{id}': {
    anonymous: 401,
    customer: { own: 200, other: 404 },
    restaurant_owner: { own: 200, other: 404 },
    driver: { own: 200, other: 404 },
    admin: { own: 200, other: 404 },
  },
  'DELETE /api/users/addresses/{id}': {
    anonymous: 401,
    customer: { own: 204, other: 404 },
    restaurant_owner: { own: 204, other: 404 },
    driver: { own: 204, other: 404 },
    admin: { own: 204, other: 404 },
  },

  'GET /api/restaurants': { anonymous: 200, customer: 200, restaurant_owner: 200, driver: 200, admin: 200 },
  'GET /api/restaurants/{id}': { anonymous: 200, customer: 200, restaurant_owner: 200, driver: 200, admin: 200 },
  'GET /api/restaurants/{id}/menu': { anonymous: 200, customer: 200, restaurant_owner: 200, driver: 200, admin: 200 },
  'POST /api/restaurants': { anonymous: 401, customer: 403, restaurant_owner: 201, driver: 403, admin: 201 },
  'PUT /api/restaurants/{id}': {
    anonymous: 401,
    customer: 403,
    restaurant_owner: { own: 200, other: 403 },
    driver: 403,
    admin: 200,
  },
  'POST /api/menus/categories': {
    anonymous: 401,
    customer: 403,
    restaurant_owner: { own: 201, other: 403 },
    driver: 403,
    admin: 201,
  },
  'PUT /api/menus/categories/{id}': {
    anonymous: 401,
    customer: 403,
    restaurant_owner: { own: 200, other: 403 },
    driver: 403,
    admin: 200,
  },
  'DELETE /api/menus/categories/{id}': {
    anonymous: 401,
    customer: 403,
    restaurant_owner: { own: 204, other: 403 },
    driver: 403,
    admin: 204,
  },
  'POST /api/menus/items': {
    anonymous: 401,
    customer: 403,
    restaurant_owner: { own: 201, other: 403 },
    driver: 403,
    admin: 201,
  },
  'PUT /api/menus/items/{id}': {
    anonymous: 401,
    customer: 403,
    restaurant_owner: { own: 200, other: 403 },
    driver: 403,
    admin: 200,
  },
  'DELETE /api/menus/items/{id}': {
    anonymous: 401,
    customer: 403,
    restaurant_owner: { own: 204, other: 403 },
    driver: 403,
    admin: 204,
  },

  'GET /api/cart': { anonymous: 401, customer: 200, restaurant_owner: 403, driver: 403, admin: 403 },
  'POST /api/cart/items': { anonymous: 401, customer: 200, restaurant_owner: 403, driver: 403, admin: 403 },
  'DELETE /api/cart/items/{menuItemId}': {
    anonymous: 401,
    customer: 200,
    restaurant_owner: 403,
    driver: 403,
    admin: 403,
  },
  // Checking out to another user's saved address: that address does not exist for the caller.
  'POST /api/orders': {
    anonymous: 401,
    customer: { own: 201, other: 404 },
    restaurant_owner: 403,
    driver: 403,
    admin: 403,
  },
  'GET /api/orders': { anonymous: 401, customer: 200, restaurant_owner: 200, driver: 200, admin: 200 },
  'GET /api/orders/{id}': {
    anonymous: 401,
    customer: { own: 200, other: 404 },
    restaurant_owner: { own: 200, other: 404 },
    driver: { own: 200, other: 404 },
    admin: 200,
  },
  // Each caller asks for the step their role takes: customer and admin cancel, the owner confirms, the
  // driver picks up (which only the delivery flow does).
  'PUT /api/orders/{id}/status': {
    anonymous: 401,
    customer: { own: 200, other: 404 },
    restaurant_owner: { own: 200, other: 404 },
    driver: { own: 409, other: 404 },
    admin: 200,
  },

  'PUT /api/drivers/availability': { anonymous: 401, customer: 403, restaurant_owner: 403, driver: 200, admin: 403 },
  'GET /api/deliveries': { anonymous: 401, customer: 403, restaurant_owner: 403, driver: 200, admin: 200 },
  'GET /api/deliveries/{id}': {
    anonymous: 401,
    customer: 403,
    restaurant_owner: 403,
    driver: { own: 200, other: 404 },
    admin: 200,
  },
  'PUT /api/deliveries/{id}/location': {
    anonymous: 401,
    customer: 403,
    restaurant_owner: 403,
    driver: { own: 200, other: 404 },
    admin: 403,
  },
  // After the location row: picking up is the one step that changes the delivery the rows share.
  'PUT /api/deliveries/{id}/status': {
    anonymous: 401,
    customer: 403,
    restaurant_owner: 403,
    driver: { own: 200, other: 404 },
    admin: 403,
  },
  'GET /api/tracking/{orderId}': {
    anonymous: 401,
    customer: { own: 200, other: 403 },
    restaurant_owner: { own: 200, other: 403 },
    driver: { own: 200, other: 403 },
    admin: 200,
  },
};
