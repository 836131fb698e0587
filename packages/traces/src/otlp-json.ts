/**
 * OTLP/HTTP JSON (`ExportTraceServiceRequest`, opentelemetry-proto's JSON mapping) → the spans the
 * receiver keeps. Everything is validated and bounded: ids must be hex of the right length, strings
 * lose control characters and are cut to size, attribute and event counts are capped. A span that
 * cannot be read is rejected (counted, never kept half-read).
 */
import { isTrack } from '@pr-canary/contracts/canary-key';
import { replaceUnsafeCharacters } from '@pr-canary/contracts/unsafe-text';
import {
  type AttributeValue,
  CANARY_TRACK_ATTRIBUTE,
  SPAN_ID_PATTERN,
  SPAN_KIND_NAMES,
  SPAN_STATUS_NAMES,
  type SpanEvent,
  type SpanKindName,
  type SpanStatusName,
  TRACE_ID_PATTERN,
  type TraceSpan,
} from './model';

export const LIMITS = {
  textLength: 1_000,
  nameLength: 200,
  attributes: 64,
  events: 16,
} as const;

export interface DecodedExport {
  spans: TraceSpan[];
  rejected: number;
  /** Why the first rejected span was rejected. */
  firstRejection: string | null;
}

export class OtlpFormatError extends Error {
  override name = 'OtlpFormatError';
}

/**
 * Text from the wire, safe to show in a page or a terminal: no unsafe characters (contracts), bounded.
 * A cut one is a copy: V8's `slice` points into the string it was cut from, so 1,000 characters kept
 * of a 200 KB attribute kept all 200 KB alive (the receiver grew by GBs under exports of huge spans).
 */
export function cleanText(value: string, max: number = LIMITS.textLength): string {
  const clean = replaceUnsafeCharacters(value);
  return clean.length > max ? copyOf(`${clean.slice(0, max - 1)}…`) : clean;
}

/** A string that shares no memory with `value` (UTF-16 round trip: every code unit kept as it is). */
function copyOf(value: string): string {
  return Buffer.from(value, 'utf16le').toString('utf16le');
}

type Json = Record<string, unknown>;

/** A `canary.track` as the services stamp it (`stable`, `pr-<N>`); anything else names no track. */
function trackOrNull(value: unknown): string | null {
  return typeof value === 'string' && isTrack(value) ? value : null;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** An OTLP `AnyValue` as a plain value; arrays and key-value lists become their JSON text. */
function anyValue(value: unknown): AttributeValue | undefined {
  if (!isObject(value)) return undefined;
  if (typeof value.stringValue === 'string') return cleanText(value.stringValue);
  if (typeof value.boolValue === 'boolean') return value.boolValue;
  if (value.intValue !== undefined) {
    const n = Number(value.intValue);
    return Number.isFinite(n) ? n : undefined;
  }
  if (value.doubleValue !== undefined) {
    const n = Number(value.doubleValue);
    return Number.isFinite(n) ? n : undefined;
  }
  if (isObject(value.arrayValue))
    return cleanText(JSON.stringify(list(value.arrayValue.values).map(anyValue)));
  if (isObject(value.kvlistValue)) return cleanText(JSON.stringify(attributeMap(value.kvlistValue.values)));
  if (typeof value.bytesValue === 'string') return `[${Math.floor((value.bytesValue.length * 3) / 4)} bytes]`;
  return undefined;
}

function attributeMap(value: unknown): Record<string, AttributeValue> {
  const result: Record<string, AttributeValue> = {};
  let count = 0;
  for (const entry of list(value)) {
    if (count >= LIMITS.attributes) break;
    if (!isObject(entry) || typeof entry.key !== 'string') continue;
    const item = anyValue(entry.value);
    if (item === undefined) continue;
    result[cleanText(entry.key, LIMITS.nameLength)] = item;
    count++;
  }
  return result;
}

/** Unix nanoseconds as a decimal string; OTLP JSON sends a string, some senders a number. */
function nanos(value: unknown): bigint | undefined {
  if (typeof value === 'string' && /^[0-9]{1,20}$/.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  return undefined;
}

function enumIndex(value: unknown, names: readonly string[], prefix: RegExp): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < names.length)
    return value;
  if (typeof value === 'string') {
    const index = names.indexOf(value.replace(prefix, '').toLowerCase());
    return index === -1 ? undefined : index;
  }
  if (value === undefined) return 0;
  return undefined;
}

/**
 * A trace or span id (`pattern`: so many lowercase hex digits), lowercased, or undefined when it is not
 * one or is all zeros (invalid in W3C trace context). Exporters send lowercase: that case is one
 * regex test and a scan for a non-zero digit, with no copy.
 */
function hexId(value: unknown, pattern: RegExp): string | undefined {
  if (typeof value !== 'string') return undefined;
  let id = value;
  if (!pattern.test(id)) {
    id = value.toLowerCase();
    if (!pattern.test(id)) return undefined;
  }
  for (let i = 0; i < id.length; i++) if (id.charCodeAt(i) !== 0x30) return id;
  return undefined;
}

/** What every span of one resource is named by, cleaned once per resource (not once per span). */
interface Resource {
  service: string;
  version: string | null;
  track: string | null;
}

function resourceOf(value: unknown): Resource {
  const attributes = attributeMap(isObject(value) ? value.attributes : undefined);
  const named = (key: string) => (typeof attributes[key] === 'string' ? (attributes[key] as string) : null);
  const version = named('service.version');
  return {
    service: cleanText(named('service.name') ?? 'unknown_service', LIMITS.nameLength),
    version: version === null ? null : cleanText(version, LIMITS.nameLength),
    track: trackOrNull(named(CANARY_TRACK_ATTRIBUTE)),
  };
}

function decodeSpan(value: unknown, resource: Resource): TraceSpan | string {
  if (!isObject(value)) return 'a span is not an object';
  const traceId = hexId(value.traceId, TRACE_ID_PATTERN);
  if (!traceId) return 'traceId is not 32 hex digits';
  const spanId = hexId(value.spanId, SPAN_ID_PATTERN);
  if (!spanId) return 'spanId is not 16 hex digits';
  let parentSpanId: string | null = null;
  if (value.parentSpanId !== undefined && value.parentSpanId !== '') {
    const parent = hexId(value.parentSpanId, SPAN_ID_PATTERN);
    if (!parent) return 'parentSpanId is not 16 hex digits';
    parentSpanId = parent;
  }
  const start = nanos(value.startTimeUnixNano);
  const end = nanos(value.endTimeUnixNano);
  if (start === undefined || end === undefined || end < start)
    return 'startTimeUnixNano/endTimeUnixNano are missing or out of order';
  const kind = enumIndex(value.kind, SPAN_KIND_NAMES, /^SPAN_KIND_/);
  if (kind === undefined) return 'kind is not a SpanKind';
  const status = isObject(value.status) ? value.status : {};
  const statusCode = enumIndex(status.code, SPAN_STATUS_NAMES, /^STATUS_CODE_/);
  if (statusCode === undefined) return 'status.code is not a StatusCode';
  const attributes = attributeMap(value.attributes);
  const spanTrack = attributes[CANARY_TRACK_ATTRIBUTE];
  const rawEvents = list(value.events);
  const events: SpanEvent[] = (
    rawEvents.length === 0 ? rawEvents : rawEvents.slice(0, LIMITS.events)
  ).flatMap((event) => {
    if (!isObject(event) || typeof event.name !== 'string') return [];
    const at = nanos(event.timeUnixNano);
    return [
      {
        name: cleanText(event.name, LIMITS.nameLength),
        offsetMs: at === undefined ? 0 : Number(at - start) / 1e6,
        attributes: attributeMap(event.attributes),
      },
    ];
  });
  return {
    traceId,
    spanId,
    parentSpanId,
    name: cleanText(typeof value.name === 'string' ? value.name : '', LIMITS.nameLength),
    kind: SPAN_KIND_NAMES[kind] as SpanKindName,
    service: resource.service,
    version: resource.version,
    track: trackOrNull(spanTrack) ?? resource.track,
    startUnixNano: start.toString(),
    durationMs: Number(end - start) / 1e6,
    status: {
      code: SPAN_STATUS_NAMES[statusCode] as SpanStatusName,
      message: typeof status.message === 'string' && status.message !== '' ? cleanText(status.message) : null,
    },
    attributes,
    events,
  };
}

/** Decodes a parsed OTLP JSON `ExportTraceServiceRequest`; throws OtlpFormatError if it is not one. */
export function decodeOtlpJson(payload: unknown): DecodedExport {
  if (!isObject(payload)) throw new OtlpFormatError('the body is not an ExportTraceServiceRequest object');
  if (payload.resourceSpans !== undefined && !Array.isArray(payload.resourceSpans))
    throw new OtlpFormatError('resourceSpans is not an array');
  const result: DecodedExport = { spans: [], rejected: 0, firstRejection: null };
  for (const resourceSpans of list(payload.resourceSpans)) {
    if (!isObject(resourceSpans)) continue;
    const resource = resourceOf(resourceSpans.resource);
    for (const scope of list(resourceSpans.scopeSpans)) {
      if (!isObject(scope)) continue;
      for (const raw of list(scope.spans)) {
        const span = decodeSpan(raw, resource);
        if (typeof span === 'string') {
          result.rejected++;
          result.firstRejection ??= span;
        } else result.spans.push(span);
      }
    }
  }
  return result;
}
