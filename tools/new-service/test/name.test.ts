import { describe, expect, it } from 'vitest';
import { assertNameIsFree, InvalidNameError, MAX_NAME_LENGTH, parseServiceName } from '../src/name';

const REGISTERED = [
  { name: 'api-service', short: 'api' },
  { name: 'store-service', short: 'store' },
  { name: 'web', short: 'web' },
];

describe('service names', () => {
  it('derives every spelling the scaffold needs from one name', () => {
    expect(parseServiceName('billing-ledger-service')).toEqual({
      name: 'billing-ledger-service',
      short: 'billing-ledger',
      pascal: 'BillingLedger',
      camel: 'billingLedger',
      protoPackage: 'billing_ledger',
    });
    expect(parseServiceName('search')).toMatchObject({ name: 'search', short: 'search', pascal: 'Search' });
  });

  it.each([
    ['', /required/],
    ['Billing', /lower-case letters.*\(try "billing"\)/],
    ['billing_service', /\(try "billing-service"\)/],
    ['9lives', /starting with a letter/],
    ['billing-', /ending with a letter or digit/],
    ['bill--ing', /"--" is not allowed/],
    ['pay-2fa', /every "-"-separated word must start with a letter/],
    ['-service', /starting with a letter/],
    ['billing service', /not a valid service name/],
    ['bil\u001bling', /not a valid service name/],
  ])('refuses %j with a message that says what to type', (name, message) => {
    expect(() => parseServiceName(name)).toThrow(InvalidNameError);
    expect(() => parseServiceName(name)).toThrow(message);
  });

  it('never echoes a huge or control-character input in full', () => {
    const error = (() => {
      try {
        parseServiceName(`A${'x'.repeat(10_000)}`);
      } catch (caught) {
        return caught as Error;
      }
      throw new Error('accepted');
    })();
    expect(error.message.length).toBeLessThan(400);
    expect(() => parseServiceName('a\nb')).toThrow(/"a\\nb"/);
  });

  it('keeps <short>-canary-pr-<9 digits> within 63 characters', () => {
    const longest = `${'a'.repeat(MAX_NAME_LENGTH - '-service'.length)}-service`;
    const { short } = parseServiceName(longest);
    expect(`${short}-canary-pr-999999999`).toHaveLength(63);
    expect(() => parseServiceName(`a${longest}`)).toThrow(/too long.*63/);
  });

  it.each(['apps', 'web', 'proto', 'contracts', 'localdev', 'grpc', 'kube-system', 'default', 'argocd'])(
    'refuses the reserved name %s',
    (name) => {
      expect(() => parseServiceName(name)).toThrow(/reserved/);
    },
  );

  it('refuses a name or short name that a registered service already uses', () => {
    expect(() => assertNameIsFree(parseServiceName('store-service'), REGISTERED)).toThrow(
      /"store-service" already exists/,
    );
    expect(() => assertNameIsFree(parseServiceName('store'), REGISTERED)).toThrow(
      /clash with "store-service"/,
    );
    expect(() => assertNameIsFree(parseServiceName('api'), REGISTERED)).toThrow(/api-canary-pr-<N>/);
    expect(() => assertNameIsFree(parseServiceName('billing-service'), REGISTERED)).not.toThrow();
  });
});
