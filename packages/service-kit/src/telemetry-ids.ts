import type { IdGenerator } from '@opentelemetry/sdk-trace-base';

const TRACE_ID_HEX = 32;
const SPAN_ID_HEX = 16;
const INVALID_TRACE_ID = '0'.repeat(TRACE_ID_HEX);
const INVALID_SPAN_ID = '0'.repeat(SPAN_ID_HEX);
/** Random bytes drawn at a time: 128 trace ids or 256 span ids. */
const POOL_BYTES = 2048;

/**
 * Trace and span ids cut from a pool of random hex: one `randomFillSync` and one hex encoding per
 * couple of hundred ids, each id then a slice of that string (V8 shares the characters). The SDK's
 * RandomIdGenerator draws `Math.random` per 4 bytes and hex-encodes every id through a Buffer — one of
 * the largest items of a traced request in a CPU profile of the api (3 ids per request). Ids from the
 * OS's CSPRNG, never all zeros (invalid in W3C trace context).
 */
export class PooledIdGenerator implements IdGenerator {
  readonly #bytes = Buffer.allocUnsafe(POOL_BYTES);
  readonly #fill: (bytes: Buffer) => void;
  #hex = '';
  #at = 0;

  /**
   * `fill` writes the random bytes (tests pass a predictable one). `node:crypto` is loaded here, not
   * when the module is: register loads this module with tracing off too.
   */
  constructor(fill?: (bytes: Buffer) => void) {
    this.#fill = fill ?? (require('node:crypto') as typeof import('node:crypto')).randomFillSync;
  }

  generateTraceId(): string {
    const id = this.#take(TRACE_ID_HEX);
    return id === INVALID_TRACE_ID ? this.generateTraceId() : id;
  }

  generateSpanId(): string {
    const id = this.#take(SPAN_ID_HEX);
    return id === INVALID_SPAN_ID ? this.generateSpanId() : id;
  }

  #take(length: number): string {
    if (this.#at + length > this.#hex.length) {
      this.#fill(this.#bytes);
      this.#hex = this.#bytes.toString('hex');
      this.#at = 0;
    }
    const id = this.#hex.slice(this.#at, this.#at + length);
    this.#at += length;
    return id;
  }
}
