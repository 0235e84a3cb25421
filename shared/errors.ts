/**
 * Every error a client can see, with its stable code and HTTP status, in one catalogue. Clients
 * (POS software, handhelds) branch on `code`; the message is for people and may change.
 */
export const ERRORS = {
  bad_request: 400,
  validation_failed: 400,
  invalid_json: 400,
  unauthorized: 401,
  /** A console login refused: wrong name or password, disabled or locked account, all alike (no enumeration). */
  login_failed: 401,
  forbidden: 403,
  /** A state-changing call with an operator's session but without its CSRF token (X-CSRF-Token). */
  csrf_failed: 403,
  /** An operator with a one-time password must set their own (POST /console/api/password) first. */
  password_change_required: 403,
  store_disabled: 403,
  enrollment_code_invalid: 403,
  not_found: 404,
  member_not_found: 404,
  checkout_not_found: 404,
  coupon_not_found: 404,
  store_not_found: 404,
  template_not_found: 404,
  mapping_not_found: 404,
  import_not_found: 404,
  operator_not_found: 404,
  /** An incident that does not exist, or is outside the caller's data scope. */
  incident_not_found: 404,
  /** A tag rule the hub does not have. */
  tag_rule_not_found: 404,
  segment_not_found: 404,
  snapshot_not_found: 404,
  export_not_found: 404,
  member_exists: 409,
  identity_taken: 409,
  receipt_conflict: 409,
  refund_conflict: 409,
  store_exists: 409,
  operator_exists: 409,
  /** `org city add` of a name the hub has (names compare without case). */
  city_exists: 409,
  enrollment_code_used: 409,
  /** The incident was resolved already (by whom and how is in `incident`); nothing was written. */
  incident_resolved: 409,
  /** The hub withdrew the incident: facts that came late show it never happened; nothing was written. */
  incident_withdrawn: 409,
  /** Creating a tag rule under a code the hub has (edit it instead: PUT with its version). */
  tag_rule_exists: 409,
  /** A change to the loyalty rules or a coupon template made from a version that is no longer current; nothing was written. */
  stale_version: 409,
  segment_in_use: 409,
  export_not_ready: 409,
  enrollment_code_expired: 410,
  body_too_large: 413,
  headers_too_large: 431,
  unsupported_media_type: 415,
  member_required: 422,
  file_not_readable: 422,
  coupon_invalid: 422,
  insufficient_points: 422,
  points_over_cap: 422,
  points_not_whole_cents: 422,
  refund_exceeds_purchase: 422,
  nothing_to_refund: 422,
  unknown_interaction: 422,
  profile_incomplete: 422,
  offline_limit_exceeded: 422,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
  // Points catalogue and coupon pools (issue 13, decision 020)
  reward_not_found: 404,
  exchange_not_found: 404,
  pool_not_found: 404,
  /** The same exchange request id with other content; nothing was written. */
  exchange_conflict: 409,
  pool_exists: 409,
  /** No unit of the gift left at this store. */
  out_of_stock: 422,
  /** The exchange's coupon was redeemed already: the exchange cannot be given back. */
  exchange_coupon_used: 422,
  /** Every code of the pool has been claimed. */
  pool_empty: 422,
  /** The member has claimed as many as the pool (or its campaign) allows. */
  claim_limit_reached: 422,
  /** Something only the hub can do (claiming from a coupon pool) while the store cannot reach it. */
  hub_unreachable: 503,
  // The product master's import (decision 017) and refunds at another store (decision 031)
  /** A CSV whose header lacks a column the import's mapping names; nothing was written. */
  import_column_missing: 422,
  /** The exchange was given back already (at this store or another); nothing was written. */
  exchange_refunded: 409,
} as const;
export type ErrorCode = keyof typeof ERRORS;

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra fields inside `error`, e.g. the field that failed validation. */
    readonly details: Record<string, unknown> = {},
    /** Fields beside `error` in the body, e.g. `member` on `member_exists`. */
    readonly beside: Record<string, unknown> = {},
  ) {
    // An answer the API gives by design (a phone nobody registered, a wrong token), not a fault:
    // its stack trace is never read and cost more than the rest of such a request.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.status = ERRORS[code];
  }
}
