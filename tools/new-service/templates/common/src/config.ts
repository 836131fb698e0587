/**
 * __service_name__ configuration: parsed once from the environment, validated, frozen. The only module
 * that knows the variable names (the registry names this package, so the manifests' checks read
 * `configVariables` for them). Add a variable here, to `.env.example` and to the README.
 */
import { type ConfigOf, defineServiceConfig } from '@pr-canary/service-kit';

/** The service's own variables (none yet); service-kit's `commonEnvVariables` adds those every service reads. */
export const { configVariables, loadConfig } = defineServiceConfig({});

export type __Pascal__Config = ConfigOf<typeof configVariables>;
