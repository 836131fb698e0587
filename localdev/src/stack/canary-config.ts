import { readFileSync, statSync } from 'node:fs';
import { PR_NUMBER_PATTERN } from '@pr-canary/contracts/canary-key';
import type { RoutedService } from '@pr-canary/contracts/route-rule';
import { SERVICE_VERSION_PATTERN, SERVICE_VERSION_RULE } from '@pr-canary/contracts/served-by';
import { canaryServices, serviceByShortOrName } from '@pr-canary/contracts/services';
import { z } from 'zod';

/** A PR canary the local stack runs: which services, under which version. */
export interface CanarySpec {
  pr: string;
  services: readonly RoutedService[];
  version: string;
}

const prSchema = z
  .union([z.number().int(), z.string()])
  .transform(String)
  .refine((pr) => PR_NUMBER_PATTERN.test(pr), 'a PR number is 1-999999999 without leading zeros');
/** A registered service that gets PR canaries, by its short name (`store`) or its name (`store-service`). */
const serviceSchema = z.string().transform((text, ctx): RoutedService => {
  const service = serviceByShortOrName(text);
  if (service?.canary) return service.name;
  const known = canaryServices().map((entry) => entry.short);
  ctx.addIssue({
    code: 'custom',
    message: `${service ? 'no PR canaries for that service' : 'unknown service'}; use one of ${known.join(', ')} (or their full names)`,
  });
  return z.NEVER;
});
// Strict: a misspelt field (`versoin`) is refused, not silently ignored.
const canarySchema = z.strictObject({
  pr: prSchema,
  services: z.array(serviceSchema).min(1),
  version: z.string().regex(SERVICE_VERSION_PATTERN, SERVICE_VERSION_RULE).optional(),
});
const canaryFileSchema = z.strictObject({
  $comment: z.string().optional(),
  canaries: z.array(canarySchema),
});

/** `--canary 42=api,store --canary 7=store` for the registered canary services. */
export const CANARY_FLAG_EXAMPLE = ((shorts: string[]) =>
  `--canary 42=${shorts.join(',')}${shorts.length > 1 ? ` --canary 7=${shorts.at(-1)}` : ''}`)(
  canaryServices().map((service) => service.short),
);

export class CanaryConfigError extends Error {
  override name = 'CanaryConfigError';
}

/** A canaries file lists a few PRs: anything this large is not one. */
const MAX_CANARY_FILE_BYTES = 1 << 20;

/** Reads and validates a canaries file (see localdev/canaries.json). */
export function loadCanaryFile(file: string, stableVersion: string): CanarySpec[] {
  let raw: unknown;
  try {
    // A regular file only: npm start reads it twice (its check before the build, then the stack), so a
    // pipe (`<(…)`, /dev/stdin) would be empty the second time, and a device (/dev/zero) never ends.
    const stats = statSync(file);
    if (!stats.isFile())
      throw new Error(
        'it is not a regular file (a pipe or a device cannot be read twice: save the canaries to a file)',
      );
    if (stats.size > MAX_CANARY_FILE_BYTES)
      throw new Error(`it is larger than ${MAX_CANARY_FILE_BYTES} bytes; a canaries file lists a few PRs`);
    // A byte-order mark (editors on Windows save one) is no content: JSON.parse would refuse it.
    raw = JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new CanaryConfigError(`cannot read canaries file ${file}: ${(error as Error).message}`);
  }
  const parsed = canaryFileSchema.safeParse(raw);
  if (!parsed.success)
    throw new CanaryConfigError(`invalid canaries file ${file}: ${describeIssues(parsed.error)}`);
  return normalize(parsed.data.canaries, stableVersion);
}

/** Parses `--canary` flag values: `42=api,store`, optionally `@version`: `42=api,store@0.2.0-rc1`. */
export function parseCanaryFlags(values: readonly string[], stableVersion: string): CanarySpec[] {
  const canaries = values.map((value) => {
    const match = /^([^=]+)=([^@]+)(?:@(.+))?$/.exec(value);
    if (!match)
      throw new CanaryConfigError(`--canary takes PR=services[@version], e.g. ${CANARY_FLAG_EXAMPLE}`);
    const [, pr, services = '', version] = match;
    const parsed = canarySchema.safeParse({ pr, services: services.split(','), version });
    if (!parsed.success)
      throw new CanaryConfigError(`invalid --canary value: ${describeIssues(parsed.error)}`);
    return parsed.data;
  });
  return normalize(canaries, stableVersion);
}

function normalize(canaries: readonly z.infer<typeof canarySchema>[], stableVersion: string): CanarySpec[] {
  const seen = new Set<string>();
  return canaries.map(({ pr, services, version }) => {
    if (seen.has(pr)) throw new CanaryConfigError(`PR ${pr} is listed twice`);
    seen.add(pr);
    const unique = [...new Set(services)];
    return { pr, services: unique, version: version ?? defaultCanaryVersion(stableVersion, pr) };
  });
}

/** `--stable-version`, refused here with the services' own rule rather than by every service at start. */
export function checkStableVersion(stableVersion: string): void {
  if (!SERVICE_VERSION_PATTERN.test(stableVersion))
    throw new CanaryConfigError(`--stable-version ${SERVICE_VERSION_RULE} (1-64 of 0-9 A-Z a-z . + _ -)`);
}

function defaultCanaryVersion(stableVersion: string, pr: string): string {
  const version = `${stableVersion}-pr${pr}`;
  if (!SERVICE_VERSION_PATTERN.test(version))
    throw new CanaryConfigError(
      `PR ${pr}'s canary would run as version ${version}, over 64 characters: give it its own (${pr}=SERVICES@VERSION) or a shorter --stable-version`,
    );
  return version;
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'value'}: ${issue.message}`).join('; ');
}
