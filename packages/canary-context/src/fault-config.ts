import { z } from 'zod';
import { type FaultSpec, FaultSpecError, NO_FAULTS, parseFaultSpec } from './faults';

/**
 * `CANARY_FAULTS`: the faults an instance starts with (compact spec or JSON, see faults.ts); unset
 * means none. A bad spec fails the start with the parser's message.
 */
export function faultsVariable() {
  return z
    .string()
    .optional()
    .transform((value, ctx): FaultSpec => {
      if (value === undefined) return { ...NO_FAULTS, fail: [] };
      try {
        return parseFaultSpec(value);
      } catch (error) {
        if (!(error instanceof FaultSpecError)) throw error;
        ctx.addIssue({ code: 'custom', message: error.message });
        return z.NEVER;
      }
    });
}
