/**
 * Request limits of the api that a proxy in front of it enforces too (the local dev router answers an
 * oversize body with 413 itself instead of streaming it to an api that closes the connection on it).
 */

/** Items are at most ~2.3 KB of JSON; anything much bigger is not a legitimate request. */
export const BODY_LIMIT_BYTES = 16 * 1024;
