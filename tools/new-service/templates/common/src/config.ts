/**
 * __service_name__ configuration: parsed once from the environment, validated, frozen. The only module
 * that knows the variable names (the registry names this package, so the manifests' checks read
 * `configSchema` for them). Add a variable here, to `.env.example` and to the README.
 */
import { defineServiceConfig } from '@pr-canary/service-kit';
import type { z } from 'zod';

/** The service's own variables (none yet); service-kit's `commonEnvSchema` adds those every service reads. */
export const { configSchema, loadConfig } = defineServiceConfig({});

export type __Pascal__Config = z.infer<typeof configSchema>;
