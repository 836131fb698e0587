import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Track } from '@pr-canary/contracts/canary-key';
import { currentCanaryKey } from './context';
import { CANARY_KEY_ATTRIBUTE, CANARY_TRACK_ATTRIBUTE, canaryKeyAttribute } from './spans';

export { CANARY_KEY_ATTRIBUTE, CANARY_TRACK_ATTRIBUTE, canaryKeyAttribute };

/** Stamps every span, when it starts, with this instance's track and the current scope's canary key. */
export class CanarySpanProcessor implements SpanProcessor {
  constructor(private readonly track: Track) {}

  onStart(span: Span, _parentContext: Context): void {
    span.setAttribute(CANARY_TRACK_ATTRIBUTE, this.track);
    // The request and call spans are made knowing their key (before the scope is entered): keep it.
    if (span.attributes[CANARY_KEY_ATTRIBUTE] === undefined)
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
