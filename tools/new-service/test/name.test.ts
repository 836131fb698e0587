import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { canaryLabel, SERVICES } from '@pr-canary/contracts/services';
import { describe, expect, it } from 'vitest';
import { assertNameIsFree, InvalidNameError, MAX_NAME_LENGTH, parseServiceName } from '../src/name';
import { REPO_ROOT } from '../src/scaffold';

const REGISTERED = [
  { name: 'api-service', short: 'api', canary: true, hop: 'edge' },
  { name: 'store-service', short: 'store', canary: true, hop: 'mesh' },
  { name: 'web', short: 'web', canary: false, hop: 'edge' },
] as const;
const HTTP = { canary: true, hop: 'edge' } as const;
const GRPC = { canary: true, hop: 'mesh' } as const;

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

  it("keeps its PR label canary/<name> within GitHub's 50 characters, and its namespaces within 63", () => {
    expect(MAX_NAME_LENGTH).toBe(43);
    for (const longest of [
      `${'a'.repeat(MAX_NAME_LENGTH - '-service'.length)}-service`,
      'a'.repeat(MAX_NAME_LENGTH),
    ]) {
      const { name, short } = parseServiceName(longest);
      expect(canaryLabel({ name }).length).toBe(50);
      expect(`${short}-canary-pr-999999999`.length).toBeLessThanOrEqual(63);
      expect(() => parseServiceName(`a${longest}`)).toThrow(
        `"a${longest}" is too long: a service name may have at most 43 characters, so that its pull-request label canary/<name> fits GitHub's limit of 50 characters for a label`,
      );
    }
    // What the reviewer hit: 51 characters, a short name that fits its namespaces, a label that does not.
    expect(() => parseServiceName(`payments-reconciliation-ledger-sync-${'x'.repeat(7)}-service`)).toThrow(
      /too long: a service name may have at most 43 characters/,
    );
  });

  it.each([
    'apps',
    'grpc',
    'kube-system',
    'default',
    'argocd',
    'tools',
    'stable',
    'stable-service',
    'router',
    'edge',
  ])('refuses the reserved name %s', (name) => {
    expect(() => parseServiceName(name)).toThrow(/reserved/);
  });

  it("reserves every shared folder of manifests/pr-canary (a service's PR source would take its place)", () => {
    const services = new Set(SERVICES.map((service) => service.short));
    const shared = readdirSync(path.join(REPO_ROOT, 'manifests/pr-canary'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !services.has(entry.name))
      .map((entry) => entry.name);
    expect(shared.length).toBeGreaterThan(0);
    for (const name of shared) expect(() => parseServiceName(name), name).toThrow(/reserved/);
  });

  // The local edge picks a service by the Host's first label and answers any other with its default
  // service: `localhost:8080`, as npm start prints and the README curls, must stay the stack's edge.
  it.each(['localhost', 'localhost-service', 'ip6-localhost', 'ip6-loopback'])(
    'refuses %s, a host name of this machine that the local edge answers as itself',
    (name) => {
      expect(() => parseServiceName(name)).toThrow(
        /is reserved: "(localhost|ip6-localhost|ip6-loopback)" names this machine: the local edge answers a Host of/,
      );
    },
  );

  it('cannot be the first label of 127.0.0.1 either: a name starts with a letter', () => {
    expect(() => parseServiceName('127')).toThrow(/starting with a letter/);
  });

  it('refuses a name or short name that a registered service already uses', () => {
    expect(() => assertNameIsFree(parseServiceName('store-service'), HTTP, REGISTERED)).toThrow(
      /"store-service" already exists/,
    );
    expect(() => assertNameIsFree(parseServiceName('store'), HTTP, REGISTERED)).toThrow(
      /clash with "store-service"/,
    );
    expect(() => assertNameIsFree(parseServiceName('api'), HTTP, REGISTERED)).toThrow(/api-canary-pr-<N>/);
    expect(() => assertNameIsFree(parseServiceName('scaffold-http-service'), HTTP, REGISTERED)).not.toThrow();
  });

  it("refuses a name one of another service's objects has, and one whose objects a service has", () => {
    expect(() => assertNameIsFree(parseServiceName('web-metrics'), HTTP, REGISTERED)).toThrow(
      `"web-metrics" would clash with "web": web-metrics is the name of web's metrics Service`,
    );
    for (const suffix of ['-primary', '-canary']) {
      expect(() => assertNameIsFree(parseServiceName(`api-service${suffix}`), HTTP, REGISTERED)).toThrow(
        new RegExp(
          `would clash with "api-service": api-service${suffix} is the name of api-service's .* Flagger`,
        ),
      );
    }
    for (const suffix of ['-stable', '-from-apps']) {
      expect(() => assertNameIsFree(parseServiceName(`store-service${suffix}`), HTTP, REGISTERED)).toThrow(
        new RegExp(
          `would clash with "store-service": store-service${suffix} is the name of store-service's `,
        ),
      );
      // Only a service in the mesh has them: the api is reached at the edge.
      expect(() =>
        assertNameIsFree(parseServiceName(`api-service${suffix}`), HTTP, REGISTERED),
      ).not.toThrow();
    }
    // The web is never canaried: Flagger makes no copies of it.
    expect(() => assertNameIsFree(parseServiceName('web-primary'), HTTP, REGISTERED)).not.toThrow();

    // The other way round: the new service's own objects would take an existing service's name.
    const withBillingMetrics = [
      ...REGISTERED,
      { name: 'billing-metrics', short: 'billing-metrics', canary: true, hop: 'edge' },
      { name: 'ledger-stable', short: 'ledger-stable', canary: true, hop: 'edge' },
    ] as const;
    expect(() => assertNameIsFree(parseServiceName('billing'), HTTP, withBillingMetrics)).toThrow(
      `"billing" would clash with "billing-metrics": the new service's metrics Service (manifests/components/service/workload.yaml) would be called billing-metrics, as that service is`,
    );
    expect(() => assertNameIsFree(parseServiceName('ledger'), GRPC, withBillingMetrics)).toThrow(
      /the new service's catch-all GRPCRoute in the mesh .* would be called ledger-stable/,
    );
    expect(() => assertNameIsFree(parseServiceName('ledger'), HTTP, withBillingMetrics)).not.toThrow();
    expect(() => assertNameIsFree(parseServiceName('api-service-metrics-v'), HTTP, REGISTERED)).not.toThrow();
  });
});
