/**
 * OTLP/HTTP JSON for finished spans, written straight to bytes: the same `ExportTraceServiceRequest`
 * the OTel JSON serializer (`@opentelemetry/otlp-transformer`) produces — hex ids, nanosecond times as
 * decimal strings, the same fields, except that a span's zero counts and empty event and link lists are
 * left out, which proto3 JSON reads as the same message (test/telemetry-local.test.ts compares the
 * two) — without its intermediate objects. A span is encoded as it ends (`addEncodedSpan`), into a buffer outside the
 * JavaScript heap, so a batch waiting for export holds nothing of the span's object graph, and
 * encoding leaves next to no garbage: plain ASCII is copied byte by byte, and any string that needs
 * escaping (or is not ASCII) goes through JSON.stringify, so every value yields valid JSON.
 */
import type { Attributes, HrTime, Link } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';

/** OTLP span flags: bit 8 says whether the parent's remoteness is known, bit 9 that it is remote. */
const FLAGS_HAS_IS_REMOTE = 0x100;
const FLAGS_IS_REMOTE = 0x200;
const NANOS_PER_SECOND = 1_000_000_000;

const quote = JSON.stringify as (value: string) => string;

function flags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | FLAGS_HAS_IS_REMOTE | (isRemote ? FLAGS_IS_REMOTE : 0);
}

/** Spans as UTF-8 JSON, appended to one growing buffer. */
class JsonBytes {
  buffer: Buffer;
  length = 0;

  constructor(size: number) {
    this.buffer = Buffer.allocUnsafe(size);
  }

  #room(bytes: number): void {
    const needed = this.length + bytes;
    if (needed <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  /** Text known to be ASCII that needs no escaping: this module's own literals, numbers, hex ids. */
  raw(text: string): void {
    this.#room(text.length);
    const { buffer } = this;
    let at = this.length;
    for (let i = 0; i < text.length; i++) buffer[at++] = text.charCodeAt(i);
    this.length = at;
  }

  number(value: number): void {
    // JSON.stringify writes NaN and ±Infinity as null, as the OTel serializer's output does.
    this.raw(Number.isFinite(value) ? String(value) : 'null');
  }

  /** A JSON string literal: printable ASCII byte by byte, anything else as JSON.stringify writes it. */
  string(text: string): void {
    this.#room(text.length + 2);
    const { buffer } = this;
    const start = this.length;
    let at = start;
    buffer[at++] = 0x22;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code < 0x20 || code > 0x7e || code === 0x22 || code === 0x5c) {
        const escaped = quote(text);
        // Escapes take at most 6 bytes per code unit, UTF-8 at most 3.
        this.length = start;
        this.#room(escaped.length * 3);
        this.length += this.buffer.write(escaped, this.length);
        return;
      }
      buffer[at++] = code;
    }
    buffer[at++] = 0x22;
    this.length = at;
  }

  /** `[seconds, nanoseconds]` as a string of Unix nanoseconds (beyond 2^53, so not a JSON number). */
  nanos([seconds, nanos]: HrTime): void {
    if (
      Number.isSafeInteger(seconds) &&
      seconds > 0 &&
      Number.isInteger(nanos) &&
      nanos >= 0 &&
      nanos < NANOS_PER_SECOND
    ) {
      this.raw('"');
      this.raw(String(seconds));
      this.#room(10);
      const { buffer } = this;
      let at = this.length;
      for (let unit = NANOS_PER_SECOND / 10; unit >= 1; unit /= 10)
        buffer[at++] = 0x30 + (Math.floor(nanos / unit) % 10);
      buffer[at++] = 0x22;
      this.length = at;
      return;
    }
    this.raw(
      `"${(BigInt(Math.trunc(seconds)) * BigInt(NANOS_PER_SECOND) + BigInt(Math.trunc(nanos))).toString()}"`,
    );
  }

  /** An attribute value as an OTLP `AnyValue`. */
  anyValue(value: unknown): void {
    switch (typeof value) {
      case 'string':
        this.raw('{"stringValue":');
        this.string(value);
        this.raw('}');
        return;
      case 'number':
        this.raw(Number.isInteger(value) ? '{"intValue":' : '{"doubleValue":');
        this.number(value);
        this.raw('}');
        return;
      case 'boolean':
        this.raw(value ? '{"boolValue":true}' : '{"boolValue":false}');
        return;
    }
    if (value instanceof Uint8Array) {
      this.raw('{"bytesValue":"');
      this.raw(Buffer.from(value).toString('base64'));
      this.raw('"}');
    } else if (Array.isArray(value)) {
      this.raw('{"arrayValue":{"values":[');
      for (let i = 0; i < value.length; i++) {
        if (i > 0) this.raw(',');
        this.anyValue(value[i]);
      }
      this.raw(']}}');
    } else if (typeof value === 'object' && value !== null) {
      this.raw('{"kvlistValue":{"values":');
      this.keyValues(value);
      this.raw('}}');
    } else this.raw('{}');
  }

  keyValues(attributes: object): void {
    this.raw('[');
    let first = true;
    for (const key in attributes) {
      if (!Object.hasOwn(attributes, key)) continue;
      this.raw(first ? '{"key":' : ',{"key":');
      first = false;
      this.string(key);
      this.raw(',"value":');
      this.anyValue((attributes as Record<string, unknown>)[key]);
      this.raw('}');
    }
    this.raw(']');
  }

  event(timed: TimedEvent): void {
    this.raw('{"attributes":');
    this.keyValues(timed.attributes ?? {});
    this.raw(',"name":');
    this.string(timed.name);
    this.raw(',"timeUnixNano":');
    this.nanos(timed.time);
    this.raw(',"droppedAttributesCount":');
    this.number(timed.droppedAttributesCount ?? 0);
    this.raw('}');
  }

  link(link: Link): void {
    const { context } = link;
    const state = context.traceState?.serialize();
    this.raw('{"attributes":');
    this.keyValues(link.attributes ?? {});
    this.raw(',"spanId":');
    this.string(context.spanId);
    this.raw(',"traceId":');
    this.string(context.traceId);
    this.#optional('traceState', state);
    this.raw(',"droppedAttributesCount":');
    this.number(link.droppedAttributesCount ?? 0);
    this.raw(',"flags":');
    this.number(flags(context.traceFlags, context.isRemote));
    this.raw('}');
  }

  /** `,"<name>":"<value>"`, unless there is no value. */
  #optional(name: string, value: string | undefined): void {
    if (value === undefined) return;
    this.raw(`,"${name}":`);
    this.string(value);
  }

  /** `,"<name>":<count>`, unless the count is 0. */
  #nonZero(name: string, count: number): void {
    if (count === 0) return;
    this.raw(`,"${name}":`);
    this.number(count);
  }

  /** `,"<name>":[…]`, each item written by `write`. */
  #list<T>(name: string, items: readonly T[], write: (this: JsonBytes, item: T) => void): void {
    this.raw(`,"${name}":[`);
    for (let i = 0; i < items.length; i++) {
      if (i > 0) this.raw(',');
      write.call(this, items[i] as T);
    }
    this.raw(']');
  }

  /** One finished span as an OTLP JSON `Span` object. */
  span(span: ReadableSpan): void {
    const context = span.spanContext();
    const parent = span.parentSpanContext;
    const state = context.traceState?.serialize();
    this.raw('{"traceId":');
    this.string(context.traceId);
    this.raw(',"spanId":');
    this.string(context.spanId);
    this.#optional('parentSpanId', parent?.spanId || undefined);
    this.#optional('traceState', state);
    this.raw(',"name":');
    this.string(span.name);
    // OTLP's SpanKind counts from UNSPECIFIED = 0; the API's from INTERNAL = 0.
    this.raw(',"kind":');
    this.number(span.kind + 1);
    this.raw(',"startTimeUnixNano":');
    this.nanos(span.startTime);
    this.raw(',"endTimeUnixNano":');
    this.nanos(span.endTime);
    this.raw(',"attributes":');
    this.keyValues(span.attributes);
    // Zero counts and empty lists are left out, as proto3 JSON allows (a field at its default is
    // absent): most spans have no events, links or dropped anything, and every byte is parsed again.
    this.#nonZero('droppedAttributesCount', span.droppedAttributesCount);
    if (span.events.length > 0) this.#list('events', span.events, this.event);
    this.#nonZero('droppedEventsCount', span.droppedEventsCount);
    this.raw(',"status":{"code":');
    this.number(span.status.code);
    this.#optional('message', span.status.message);
    this.raw('}');
    if (span.links.length > 0) this.#list('links', span.links, this.link);
    this.#nonZero('droppedLinksCount', span.droppedLinksCount);
    this.raw(',"flags":');
    this.number(flags(context.traceFlags, parent?.isRemote));
    this.raw('}');
  }
}

/** Key-value attributes as text (once per export, for resources and scopes). */
function keyValues(attributes: object): string {
  const bytes = new JsonBytes(256);
  bytes.keyValues(attributes);
  return bytes.buffer.toString('utf8', 0, bytes.length);
}

function encodeResource(resource: Resource): string {
  const schemaUrl = resource.schemaUrl ? `,"schemaUrl":${quote(resource.schemaUrl)}` : '';
  return `{"resource":{"attributes":${keyValues(resource.attributes)},"droppedAttributesCount":0${schemaUrl}}`;
}

/** A scope may carry attributes (newer tracers' `getTracer` options); the serializer writes them. */
type ScopeWithAttributes = InstrumentationScope & {
  attributes?: Attributes;
  droppedAttributesCount?: number;
};

function encodeScope(scope: ScopeWithAttributes): string {
  const attributes =
    scope.attributes && Object.keys(scope.attributes).length > 0 ? scope.attributes : undefined;
  return (
    `{"name":${quote(scope.name)}` +
    (scope.version === undefined ? '' : `,"version":${quote(scope.version)}`) +
    (attributes
      ? `,"attributes":${keyValues(attributes)},"droppedAttributesCount":${scope.droppedAttributesCount ?? 0}`
      : '') +
    '}'
  );
}

/**
 * Encoded spans waiting for export, by resource and instrumentation scope (the SDK's one object per
 * tracer), each group's spans as JSON bytes separated by commas.
 */
export type EncodedSpans = Map<Resource, Map<InstrumentationScope, JsonBytes>>;

const INITIAL_BUFFER_BYTES = 64 * 1024;

/** Encodes `span` into `batch`, under its resource and scope. */
export function addEncodedSpan(batch: EncodedSpans, span: ReadableSpan): void {
  let scopes = batch.get(span.resource);
  if (!scopes) {
    scopes = new Map();
    batch.set(span.resource, scopes);
  }
  let bytes = scopes.get(span.instrumentationScope);
  if (bytes) bytes.raw(',');
  else {
    bytes = new JsonBytes(INITIAL_BUFFER_BYTES);
    scopes.set(span.instrumentationScope, bytes);
  }
  bytes.span(span);
}

/** An `ExportTraceServiceRequest` of the spans in `batch`, grouped by resource and scope as OTLP requires. */
export function encodeExportRequest(batch: EncodedSpans): Buffer {
  const parts: Buffer[] = [Buffer.from('{"resourceSpans":[')];
  let firstResource = true;
  for (const [resource, scopes] of batch) {
    parts.push(Buffer.from(`${firstResource ? '' : ','}${encodeResource(resource)},"scopeSpans":[`));
    firstResource = false;
    let firstScope = true;
    for (const [scope, bytes] of scopes) {
      parts.push(Buffer.from(`${firstScope ? '' : ','}{"scope":${encodeScope(scope)},"spans":[`));
      firstScope = false;
      parts.push(bytes.buffer.subarray(0, bytes.length));
      parts.push(Buffer.from(`]${scope.schemaUrl ? `,"schemaUrl":${quote(scope.schemaUrl)}` : ''}}`));
    }
    parts.push(Buffer.from(`]${resource.schemaUrl ? `,"schemaUrl":${quote(resource.schemaUrl)}` : ''}}`));
  }
  parts.push(Buffer.from(']}'));
  return Buffer.concat(parts);
}
