/**
 * What each Node service reads from its environment, taken from the service's own config variables
 * (`configVariables`, exported by the package its registry entry names), so the manifests cannot drift
 * from the code: a renamed or new required variable fails the checks.
 */
import type { ServiceEntry } from './services';

export interface ServiceEnvContract {
  /** Every variable the service reads (OTEL_* are read by the OpenTelemetry SDK). */
  names: ReadonlySet<string>;
  required: ReadonlySet<string>;
  /** Problems with these values, by variable name ([] when the service would start). */
  problems(env: Record<string, string | undefined>): string[];
}

/** service-kit's `EnvVariable`, as far as the checks need it: a variable's text (undefined: unset) to its value, or a throw saying why not. */
interface VariableReader {
  read(text: string | undefined): unknown;
}

async function importVariables(
  service: Pick<ServiceEntry, 'package'>,
): Promise<Record<string, VariableReader>> {
  const module = (await import(service.package)) as { configVariables?: Record<string, VariableReader> };
  const variables = module.configVariables;
  if (variables === undefined || Object.values(variables).some((v) => typeof v?.read !== 'function')) {
    throw new Error(
      `${service.package} does not export its configVariables (service-kit's defineServiceConfig)`,
    );
  }
  return variables;
}

/** Why the service would refuse this text for the variable, or undefined when it would read it. */
function refusal(reader: VariableReader, text: string | undefined): string | undefined {
  try {
    reader.read(text);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export async function serviceEnvContract(
  service: Pick<ServiceEntry, 'package'>,
): Promise<ServiceEnvContract> {
  const variables = await importVariables(service);
  const names = Object.keys(variables);
  return {
    names: new Set(names),
    required: new Set(
      names.filter((name) => refusal(variables[name] as VariableReader, undefined) !== undefined),
    ),
    problems: (env) =>
      // Like the services' parseEnv: unset and empty are the same; variables outside the service's
      // set are reported by name elsewhere, not here.
      names.flatMap((name) => {
        const text = env[name];
        const why = refusal(variables[name] as VariableReader, text === '' ? undefined : text);
        return why === undefined ? [] : [`${name}: ${why}`];
      }),
  };
}
