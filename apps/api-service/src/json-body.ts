/**
 * The api's JSON body parser: Fastify's own (body limit, prototype-poisoning refusal, empty-body
 * error) on text decoded strictly. Fastify's default decodes the bytes leniently, so invalid UTF-8
 * became U+FFFD and a lone surrogate escape (`"\ud800"`) became a string no Unicode encoding can
 * carry — both were stored as replacement characters. Here either is a 400 and nothing is stored:
 * bytes that are not UTF-8 are no JSON text (RFC 8259 §8.1) → `MALFORMED_JSON`; a string anywhere in
 * the body (values and property names) that is not well-formed Unicode → `VALIDATION` naming the field.
 */
import type { FastifyInstance } from 'fastify';
import { HttpError } from './errors';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A property name a message may show (the same rule as service-kit's validation messages). */
const SAFE_PROPERTY_NAME = /^[A-Za-z0-9_]{1,64}$/;

/**
 * `String.prototype.isWellFormed` (ES2024, in every Node this runs on), typed here: the repository's
 * TypeScript lib is ES2023, and other workspaces type-check this file too.
 */
const isWellFormed = (text: string): boolean =>
  (text as unknown as { isWellFormed(): boolean }).isWellFormed();

export const NOT_UTF8_MESSAGE = 'the request body is not valid UTF-8';
export const ILL_FORMED_TEXT_RULE = 'must be well-formed Unicode text (no lone surrogate)';

/**
 * The field (`body/name`, `body/tags/2`) of the first string in `value`, value or property name,
 * that is not well-formed Unicode; `body` alone when its path holds a name a message must not show;
 * undefined when every string is well-formed.
 */
export function illFormedTextField(value: unknown): string | undefined {
  // Iterative: a body within the limit (BODY_LIMIT_BYTES) can nest thousands of levels deep.
  const pending: { value: unknown; path: string | undefined }[] = [{ value, path: 'body' }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value: current, path } = next;
    if (typeof current === 'string') {
      if (!isWellFormed(current)) return path ?? 'body';
    } else if (Array.isArray(current)) {
      current.forEach((element, index) => {
        pending.push({ value: element, path: path === undefined ? undefined : `${path}/${index}` });
      });
    } else if (current !== null && typeof current === 'object') {
      for (const [key, element] of Object.entries(current)) {
        if (!isWellFormed(key)) return path ?? 'body';
        const shown = path !== undefined && SAFE_PROPERTY_NAME.test(key);
        pending.push({ value: element, path: shown ? `${path}/${key}` : undefined });
      }
    }
  }
  return undefined;
}

/** What an encoded request body is told (the coding itself is never echoed). */
const ENCODED_BODY_MESSAGE =
  'the request body must not be encoded: send the JSON as it is, without Content-Encoding';

/** What a body declared in another charset is told (the charset itself is never echoed). */
const CHARSET_MESSAGE =
  'the request body must be UTF-8 JSON: declare no charset, or charset=utf-8 (RFC 8259 §8.1)';
/** The `charset` parameter of a Content-Type, if any (a quoted value unquoted). */
const CHARSET_PARAMETER = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i;

/** Whether `contentType` declares a charset other than UTF-8. */
export function declaresOtherCharset(contentType: string | undefined): boolean {
  const match = contentType === undefined ? null : CHARSET_PARAMETER.exec(contentType);
  if (!match) return false;
  const charset = (match[1] ?? match[2] ?? '').toLowerCase();
  return charset !== 'utf-8' && charset !== 'utf8';
}

/** Replaces Fastify's `application/json` parser with the strict one. */
export function installStrictJsonParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    // The body is read as sent: an encoded one (gzip, br) would be refused as bytes that are not UTF-8,
    // and one merely labelled so would be taken as plain JSON. RFC 9110 §8.4.1: 415 for a coding the
    // server does not take.
    const coding = request.headers['content-encoding'];
    if (coding !== undefined && coding.trim().toLowerCase() !== 'identity') {
      done(new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', ENCODED_BODY_MESSAGE), undefined);
      return;
    }
    // A body in another charset (Latin-1, UTF-16) would be refused as bytes that are not UTF-8: it is
    // a media type the api does not take.
    if (declaresOtherCharset(request.headers['content-type'])) {
      done(new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', CHARSET_MESSAGE), undefined);
      return;
    }
    let text: string;
    try {
      text = strictUtf8.decode(body as Buffer);
    } catch {
      done(new HttpError(400, 'MALFORMED_JSON', NOT_UTF8_MESSAGE), undefined);
      return;
    }
    parseJson(request, text, (err, parsed) => {
      if (err) return done(err, undefined);
      const field = illFormedTextField(parsed);
      if (field !== undefined)
        return done(new HttpError(400, 'VALIDATION', `${field} ${ILL_FORMED_TEXT_RULE}`), undefined);
      done(null, parsed);
    });
  });
}
