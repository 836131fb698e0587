/**
 * An API call that did not succeed, in words a user can act on. `status` is the HTTP status, or 0 when
 * no HTTP response arrived (network, CORS, timeout). `code` is the API's `code` (a gRPC status name such
 * as `ABORTED`, or e.g. `VALIDATION`), or one of this client's own: NETWORK, TIMEOUT, BAD_RESPONSE, HTTP.
 */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const MAX_MESSAGE_LENGTH = 300;

/** Makes text from a response safe and short enough to show: no control characters, bounded length. */
export function displayText(value: string, maxLength = MAX_MESSAGE_LENGTH): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const clean = value.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return clean.length > maxLength ? `${clean.slice(0, maxLength - 1)}…` : clean;
}

/** The API's error body `{statusCode, error, message, code}` → ApiError; anything else → a generic one. */
export function errorFromResponse(status: number, body: unknown): ApiError {
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const message = typeof fields.message === 'string' && fields.message.trim() ? fields.message : undefined;
  const code = typeof fields.code === 'string' && /^[A-Z_]{1,40}$/.test(fields.code) ? fields.code : 'HTTP';
  const title = typeof fields.error === 'string' ? displayText(fields.error, 60) : `HTTP ${status}`;
  return new ApiError(
    status,
    code,
    message ? displayText(message) : `${title} (HTTP ${status}) without details`,
  );
}

/** Any failure as an ApiError; a non-API error is a bug in the page, logged for developers. */
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  console.error(error);
  return new ApiError(0, 'UNEXPECTED', 'Something went wrong in the page; reload it and try again.');
}
