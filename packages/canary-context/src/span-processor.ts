import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { CanaryKey, Track } from '@pr-canary/contracts/canary-key';
import { currentCanaryKey } from './context';

export const CANARY_KEY_ATTRIBUTE = 'canary.key';
export const CANARY_TRACK_ATTRIBUTE = 'canary.track';

/** The `canary.key` span attribute: the valid PR, or `absent` (an invalid key is served as stable). */
export function canaryKeyAttribute(key: CanaryKey): string {
  return key.kind === 'valid' ? key.pr : 'absent';
}

/** Stamps every span, when it starts, with this instance's track and the current scope's canary key. */
export class CanarySpanProcessor implements SpanProcessor {
  constructor(private readonly track: Track) {}

  onStart(span: Span, _parentContext: Context): void {
    span.setAttribute(CANARY_TRACK_ATTRIBUTE, this.track);
    span.setAttribute(CANARY_KEY_ATTRIBUTE, canaryKeyAttribute(currentCanaryKey()));
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
