import { session } from './session.js';
import type {
  Address,
  AuthResult,
  Cart,
  Category,
  Delivery,
  Health,
  HealthProbe,
  Menu,
  MenuItem,
  NewAddress,
  NewMenuItem,
  Order,
  OrderStatus,
  Page,
  Payment,
  Restaurant,
  RestaurantInput,
  Role,
  Tokens,
  Tracking,
  LatLng,
} from './types.js';

/**
 * Same origin behind Nginx or the gateway. `VITE_API_URL` points a build elsewhere; the dev server
 * (port 5173) talks to the local gateway, which allows that origin.
 */
export const API_BASE = (import.meta.env.VITE_API_URL ?? (import.meta.env.DEV ? 'http://localhost:8000' : '')).replace(
  /\/+$/,
  '',
);

/** An answer in the contract's error shape, or a network failure (`NETWORK_ERROR`, status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Query = Record<string, string | number | boolean | undefined>;

interface RequestOptions {
  body?: unknown;
  query?: Query;
  headers?: Record<string, string>;
  /** Public endpoints are called without a token, and never trigger a refresh. */
  auth?: boolean;
  /** Statuses a service answers with a body of its own rather than a refusal (a readiness probe's 503). */
  answers?: number[];
}

function urlFor(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const search = params.toString();
  return `${API_BASE}${path}${search ? `?${search}` : ''}`;
}

async function send(method: string, path: string, options: RequestOptions, token?: string): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers['Authorization'] = `Bearer ${token}`;
  try {
    return await fetch(urlFor(path, options.query), {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  } catch {
    throw new ApiError(0, 'NETWORK_ERROR', 'Cannot reach Food Flow. Check your connection and try again.');
  }
}

async function errorFrom(res: Response): Promise<ApiError> {
  const payload = (await res.json().catch(() => null)) as {
    error?: { code?: string; message?: string; requestId?: string };
  } | null;
  const error = payload?.error;
  return new ApiError(
    res.status,
    error?.code ?? `HTTP_${res.status}`,
    error?.message ?? `The request failed (${res.status} ${res.statusText})`,
    error?.requestId ?? res.headers.get('X-Request-ID') ?? undefined,
  );
}

/**
 * One refresh at a time: refresh tokens rotate and a second use of the same one revokes its whole family,
 * so concurrent 401s must share a single refresh call.
 */
let refreshing: Promise<boolean> | null = null;

export function refreshTokens(): Promise<boolean> {
  refreshing ??= (async () => {
    const refreshToken = session.get()?.refreshToken;
    if (!refreshToken) return false;
    const res = await send('POST', '/api/auth/refresh', { body: { refreshToken } });
    if (!res.ok) {
      session.end();
      return false;
    }
    session.renew((await res.json()) as Tokens);
    return true;
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const auth = options.auth ?? true;
  let res = await send(method, path, options, auth ? session.get()?.accessToken : undefined);
  if (auth && res.status === 401) {
    const error = await errorFrom(res);
    if (error.code !== 'TOKEN_EXPIRED' || !(await refreshTokens())) {
      if (error.code !== 'TOKEN_EXPIRED') session.end();
      throw error;
    }
    res = await send(method, path, options, session.get()?.accessToken);
  }
  if (!res.ok) {
    const error = await errorFrom(res.clone());
    // An error in the contract's shape is the gateway's or the service's refusal even then.
    const isAnswer = options.answers?.includes(res.status) && error.code === `HTTP_${res.status}`;
    if (!isAnswer) throw error;
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export interface RegisterInput {
  email: string;
  password: string;
  firstName: string;
  lastName: string;
  role: Exclude<Role, 'admin'>;
}

export interface RestaurantQuery extends Query {
  q?: string;
  cuisine?: string;
  isOpen?: boolean;
  sort?: 'rating' | 'distance' | 'name' | 'popular';
  near?: string;
  ownerId?: string;
  page?: number;
  pageSize?: number;
}

export const api = {
  register: (input: RegisterInput) => request<AuthResult>('POST', '/api/auth/register', { body: input, auth: false }),
  login: (email: string, password: string) =>
    request<AuthResult>('POST', '/api/auth/login', { body: { email, password }, auth: false }),
  logout: (refreshToken: string) => request<void>('POST', '/api/auth/logout', { body: { refreshToken } }),

  addresses: () => request<{ data: Address[] }>('GET', '/api/users/addresses'),
  addAddress: (address: NewAddress) => request<Address>('POST', '/api/users/addresses', { body: address }),

  restaurants: (query: RestaurantQuery) => request<Page<Restaurant>>('GET', '/api/restaurants', { query, auth: false }),
  restaurant: (id: string) => request<Restaurant>('GET', `/api/restaurants/${id}`, { auth: false }),
  menu: (restaurantId: string) => request<Menu>('GET', `/api/restaurants/${restaurantId}/menu`, { auth: false }),

  createRestaurant: (input: RestaurantInput) => request<Restaurant>('POST', '/api/restaurants', { body: input }),
  updateRestaurant: (id: string, changes: Partial<RestaurantInput>) =>
    request<Restaurant>('PUT', `/api/restaurants/${id}`, { body: changes }),
  addCategory: (restaurantId: string, name: string) =>
    request<Category>('POST', '/api/menus/categories', { body: { restaurantId, name } }),
  renameCategory: (id: string, name: string) =>
    request<Category>('PUT', `/api/menus/categories/${id}`, { body: { name } }),
  deleteCategory: (id: string) => request<void>('DELETE', `/api/menus/categories/${id}`),
  addMenuItem: (input: NewMenuItem) => request<MenuItem>('POST', '/api/menus/items', { body: input }),
  updateMenuItem: (id: string, changes: Partial<NewMenuItem>) =>
    request<MenuItem>('PUT', `/api/menus/items/${id}`, { body: changes }),
  deleteMenuItem: (id: string) => request<void>('DELETE', `/api/menus/items/${id}`),

  cart: () => request<Cart>('GET', '/api/cart'),
  addToCart: (menuItemId: string, quantity: number) =>
    request<Cart>('POST', '/api/cart/items', { body: { menuItemId, quantity } }),
  removeFromCart: (menuItemId: string) => request<Cart>('DELETE', `/api/cart/items/${menuItemId}`),

  checkout: (idempotencyKey: string, body: { addressId: string; payment: Payment; notes?: string }) =>
    request<Order>('POST', '/api/orders', { body, headers: { 'Idempotency-Key': idempotencyKey } }),
  orders: (query: { status?: OrderStatus; page?: number; pageSize?: number } = {}) =>
    request<Page<Order>>('GET', '/api/orders', { query }),
  order: (id: string) => request<Order>('GET', `/api/orders/${id}`),
  setOrderStatus: (id: string, status: OrderStatus, reason?: string) =>
    request<Order>('PUT', `/api/orders/${id}/status`, { body: reason ? { status, reason } : { status } }),
  tracking: (orderId: string) => request<Tracking>('GET', `/api/tracking/${orderId}`),

  setAvailability: (online: boolean, location: LatLng) =>
    request<{ online: boolean; location: LatLng }>('PUT', '/api/drivers/availability', { body: { online, location } }),
  deliveries: (status?: Delivery['status']) => request<Page<Delivery>>('GET', '/api/deliveries', { query: { status } }),
  setDeliveryStatus: (id: string, status: 'picked_up' | 'delivered') =>
    request<Delivery>('PUT', `/api/deliveries/${id}/status`, { body: { status } }),
  sendLocation: (id: string, location: LatLng & { heading?: number; speedKmh?: number }) =>
    request<{ ok: true }>('PUT', `/api/deliveries/${id}/location`, { body: location }),

  /** A service's `/health/live` or `/health/ready`; not ready is an answer (503 with its checks), not an error. */
  health: (service: string, probe: HealthProbe) =>
    request<Health>('GET', `/api/health/${service}/${probe}`, { answers: [503] }),
};
