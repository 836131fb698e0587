/**
 * store-service configuration: parsed once from the environment, validated, frozen. The only module
 * that knows the variable names (manifests and Dockerfile checks import `configVariables` for them);
 * OTEL_* are read by `@pr-canary/service-kit/register`, not here.
 */
import { hasUnsafeCharacter } from '@pr-canary/contracts/unsafe-text';
import {
  booleanVariable,
  type ConfigOf,
  defineServiceConfig,
  InvalidValue,
  optionalVariable,
  patternVariable,
} from '@pr-canary/service-kit';

/**
 * An http(s) URL with a host (a local DynamoDB such as dynalite); the SDK's default endpoint when unset.
 * No control characters: the URL parser drops a tab or a newline and keeps an escape, so the text
 * kept would not be the URL used.
 */
const endpointVariable = optionalVariable((text) => {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (
    !url ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.hostname === '' ||
    hasUnsafeCharacter(text)
  )
    throw new InvalidValue('must be an http(s) URL');
  return text;
});

/** The store's own variables; service-kit's `commonEnvVariables` adds those every service reads. */
export const { configVariables, loadConfig } = defineServiceConfig({
  DYNAMODB_TABLE: patternVariable(
    /^[A-Za-z0-9_.-]{3,255}$/,
    'must be a DynamoDB table name (3 to 255 of A-Z a-z 0-9 _ . -)',
  ),
  DYNAMODB_ENDPOINT: endpointVariable,
  DYNAMODB_CREATE_TABLE: booleanVariable(false),
  AWS_REGION: patternVariable(
    /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/,
    'must be an AWS region such as us-east-1',
    'us-east-1',
  ),
});

export type StoreConfig = ConfigOf<typeof configVariables>;
