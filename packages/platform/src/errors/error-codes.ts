/**
 * The contract's error codes and the HTTP status each one maps to. Business code throws
 * `AppError` with one of these codes and never thinks about HTTP; the central error handler
 * turns the code into a status.
 */
export const errorStatus = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  UNAUTHENTICATED: 401,
  TOKEN_EXPIRED: 401,
  INVALID_CREDENTIALS: 401,
  PAYMENT_DECLINED: 402,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INVALID_TRANSITION: 409,
  EMAIL_TAKEN: 409,
  CART_EMPTY: 409,
  CART_RESTAURANT_MISMATCH: 409,
  RESTAURANT_CLOSED: 409,
  ITEM_UNAVAILABLE: 409,
  BELOW_MINIMUM_ORDER: 409,
  IDEMPOTENCY_IN_PROGRESS: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  DEPENDENCY_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;
