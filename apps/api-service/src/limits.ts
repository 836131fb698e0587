import { serviceNamed } from '@pr-canary/contracts/services';

/**
 * Request limits of the api that a proxy in front of it enforces too (the local dev router answers an
 * oversize body with 413 itself instead of streaming it to an api that closes the connection on it):
 * written once, in the service registry (`bodyLimitBytes`), which the edge reads as well.
 */

const { bodyLimitBytes } = serviceNamed('api-service');
if (bodyLimitBytes === undefined) throw new Error('the service registry gives api-service no bodyLimitBytes');

/** Items are at most ~2.3 KB of JSON, so the registry says 16 KiB: much bigger is not a legitimate request. */
export const BODY_LIMIT_BYTES: number = bodyLimitBytes;
