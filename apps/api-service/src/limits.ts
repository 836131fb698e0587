import { serviceNamed } from '@pr-canary/contracts/services';

/**
 * Request limits of the api that a proxy in front of it enforces too (the local dev router answers an
 * oversize body with 413 itself instead of streaming it to an api that closes the connection on it):
 * written once, in the service registry (`bodyLimitBytes`), which the edge reads as well.
 */

const { bodyLimitBytes } = serviceNamed('api-service');
if (bodyLimitBytes === undefined) throw new Error('the service registry gives api-service no bodyLimitBytes');

/**
 * The registry says 32 KiB: the largest valid item (200 + 2,000 characters) written with every
 * character escaped as JSON allows (`\uD83D\uDE00`, 12 bytes for one outside the BMP, as Python's
 * `json.dumps` writes by default) is ~26.5 KB — a limit below that refused valid items. Much bigger is
 * not a legitimate request.
 */
export const BODY_LIMIT_BYTES: number = bodyLimitBytes;
