/**
 * What each service reads from its environment, taken from the services' own config schemas
 * (`configSchema` exported by @pr-canary/api-service and @pr-canary/store-service), so the
 * manifests cannot drift from the code. Until a service exports its schema, the names in SPEC.md
 * (FALLBACK_ENV below, the only copy) stand in, and `source` says so.
 */
export type ServiceName = 'api-service' | 'store-service';

export interface ServiceEnvContract {
  source: 'configSchema' | 'SPEC.md fallback';
  /** Every variable the service reads (OTEL_* are read by the OpenTelemetry SDK, not the schema). */
  names: ReadonlySet<string>;
  required: ReadonlySet<string>;
  /** Problems with these values, by variable name ([] when the service would start). */
  problems(env: Record<string, string | undefined>): string[];
}

const FALLBACK_ENV: Record<ServiceName, { names: string[]; required: string[] }> = {
  'api-service': {
    names: [
      'PORT',
      'METRICS_PORT',
      'STORE_ADDR',
      'STORE_DEADLINE_MS',
      'READINESS_DEADLINE_MS',
      'CANARY_TRACK',
      'SERVICE_VERSION',
      'CORS_ALLOWED_ORIGINS',
      'CANARY_HEADER_TRUSTED',
      'LOG_LEVEL',
      'SHUTDOWN_DRAIN_MS',
    ],
    required: ['STORE_ADDR'],
  },
  'store-service': {
    names: [
      'PORT',
      'METRICS_PORT',
      'DYNAMODB_TABLE',
      'DYNAMODB_ENDPOINT',
      'DYNAMODB_CREATE_TABLE',
      'AWS_REGION',
      'CANARY_TRACK',
      'SERVICE_VERSION',
      'CANARY_HEADER_TRUSTED',
      'LOG_LEVEL',
      'SHUTDOWN_DRAIN_MS',
    ],
    required: ['DYNAMODB_TABLE'],
  },
};

interface ZodLike {
  shape: Record<string, { safeParse(value: unknown): { success: boolean } }>;
  safeParse(value: unknown): {
    success: boolean;
    error?: { issues: { path: PropertyKey[]; message: string }[] };
  };
}

async function importSchema(service: ServiceName): Promise<ZodLike | undefined> {
  try {
    const module = (await import(`@pr-canary/${service}`)) as { configSchema?: ZodLike };
    return module.configSchema;
  } catch (error) {
    if (
      (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' ||
      /Cannot find|Failed to load|Failed to resolve entry/.test(String(error))
    ) {
      return undefined;
    }
    throw error;
  }
}

export async function serviceEnvContract(service: ServiceName): Promise<ServiceEnvContract> {
  const schema = await importSchema(service);
  if (schema === undefined) {
    const fallback = FALLBACK_ENV[service];
    return {
      source: 'SPEC.md fallback',
      names: new Set(fallback.names),
      required: new Set(fallback.required),
      problems: (env) => fallback.required.filter((name) => !env[name]).map((name) => `${name} is required`),
    };
  }
  const names = Object.keys(schema.shape);
  return {
    source: 'configSchema',
    names: new Set(names),
    required: new Set(names.filter((name) => !schema.shape[name]?.safeParse(undefined).success)),
    problems: (env) => {
      const present = Object.fromEntries(
        Object.entries(env).filter(([name, v]) => v !== undefined && v !== '' && names.includes(name)),
      );
      const result = schema.safeParse(present);
      return result.success
        ? []
        : (result.error?.issues ?? []).map((i) => `${i.path.map(String).join('.')}: ${i.message}`);
    },
  };
}
