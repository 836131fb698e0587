/**
 * store-service configuration: parsed once from the environment, validated, frozen. The only module
 * that knows the variable names (manifests and Dockerfile checks import `configSchema` for them);
 * OTEL_* are read by `@pr-canary/service-kit/register`, not here.
 */
import { booleanVariable, defineServiceConfig } from '@pr-canary/service-kit';
import { z } from 'zod';

/** The store's own variables; service-kit's `commonEnvSchema` adds those every service reads. */
export const { configSchema, loadConfig } = defineServiceConfig({
  DYNAMODB_TABLE: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name (3 to 255 of A-Z a-z 0-9 _ . -)'),
  DYNAMODB_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  DYNAMODB_CREATE_TABLE: booleanVariable(false),
  AWS_REGION: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'must be an AWS region such as us-east-1')
    .default('us-east-1'),
});

export type StoreConfig = z.infer<typeof configSchema>;
