/**
 * What each Node service reads from its environment, taken from the service's own config schema
 * (`configSchema`, exported by the package its registry entry names), so the manifests cannot drift
 * from the code: a renamed or new required variable fails the checks.
 */
import type { ServiceEntry } from './services';

export interface ServiceEnvContract {
  /** Every variable the service's schema reads (OTEL_* are read by the OpenTelemetry SDK). */
  names: ReadonlySet<string>;
  required: ReadonlySet<string>;
  /** Problems with these values, by variable name ([] when the service would start). */
  problems(env: Record<string, string | undefined>): string[];
}

interface ZodLike {
  shape: Record<string, { safeParse(value: unknown): { success: boolean } }>;
  safeParse(value: unknown): {
    success: boolean;
    error?: { issues: { path: PropertyKey[]; message: string }[] };
  };
}

async function importSchema(service: Pick<ServiceEntry, 'package'>): Promise<ZodLike> {
  const module = (await import(service.package)) as { configSchema?: ZodLike };
  if (module.configSchema?.shape === undefined) {
    throw new Error(`${service.package} does not export its configSchema (a zod object)`);
  }
  return module.configSchema;
}

export async function serviceEnvContract(
  service: Pick<ServiceEntry, 'package'>,
): Promise<ServiceEnvContract> {
  const schema = await importSchema(service);
  const names = Object.keys(schema.shape);
  return {
    names: new Set(names),
    required: new Set(names.filter((name) => !schema.shape[name]?.safeParse(undefined).success)),
    problems: (env) => {
      // Like the services' parseEnv: unset and empty are the same; variables outside the schema
      // are reported by name elsewhere, not here.
      const present = Object.fromEntries(
        Object.entries(env).filter(
          ([name, value]) => value !== undefined && value !== '' && names.includes(name),
        ),
      );
      const result = schema.safeParse(present);
      if (result.success) return [];
      return (result.error?.issues ?? []).map(
        (issue) => `${issue.path.map(String).join('.')}: ${issue.message}`,
      );
    },
  };
}
