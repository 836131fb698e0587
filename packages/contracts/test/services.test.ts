import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  addressVariable,
  canaryLabel,
  canaryNamespace,
  canaryServices,
  defineServices,
  GITHUB_LABEL_MAX_LENGTH,
  MAX_SERVICE_NAME_LENGTH,
  nodeServices,
  SERVICES,
  ServiceRegistryError,
  serviceByShortOrName,
  serviceForGrpc,
  serviceNamed,
  tableFor,
} from '../src/services';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const store = {
  name: 'store-service',
  short: 'store',
  workspace: 'apps/store-service',
  package: '@pr-canary/store-service',
  runtime: 'node',
  protocol: 'grpc',
  hop: 'mesh',
  port: 8080,
  metricsPort: 9090,
  image: 'store-service',
  canary: true,
  grpcService: 'store.v1.ItemsService',
};

describe('the registered services', () => {
  it('each names a workspace whose package.json carries the registered package name', () => {
    for (const service of SERVICES) {
      const manifest = JSON.parse(
        readFileSync(path.join(REPO_ROOT, service.workspace, 'package.json'), 'utf8'),
      );
      expect(manifest.name, service.name).toBe(service.package);
      // Node services share the root Dockerfile (build argument SERVICE); a static site keeps its own.
      const dockerfile =
        service.runtime === 'node' ? 'Dockerfile' : path.join(service.workspace, 'Dockerfile');
      expect(existsSync(path.join(REPO_ROOT, dockerfile)), service.name).toBe(true);
    }
  });

  it('names the gRPC service each grpc service really serves (its proto declares it)', () => {
    for (const service of SERVICES.filter((entry) => entry.protocol === 'grpc')) {
      const [pkg, name] = [
        service.grpcService?.split('.').slice(0, -1).join('.'),
        service.grpcService?.split('.').at(-1),
      ];
      const protoDir = path.join(REPO_ROOT, 'proto', ...(pkg ?? '').split('.'));
      const protos = existsSync(protoDir)
        ? readdirSync(protoDir).filter((file) => file.endsWith('.proto'))
        : [];
      const declared = protos.some((file: string) => {
        const text = readFileSync(path.join(protoDir, file), 'utf8');
        return text.includes(`package ${pkg};`) && new RegExp(`\\bservice\\s+${name}\\s*\\{`).test(text);
      });
      expect(
        declared,
        `${service.name}: proto/${pkg?.replaceAll('.', '/')}/*.proto declares ${service.grpcService}`,
      ).toBe(true);
    }
  });

  it('answers the lookups the rest of the repository uses', () => {
    expect(serviceNamed('store-service').grpcService).toBe('store.v1.ItemsService');
    // The message names every registered service (a scaffolded one too), in registry order.
    expect(() => serviceNamed('cart-service')).toThrow(
      `unknown service "cart-service" (registered: ${SERVICES.map((service) => service.name).join(', ')})`,
    );
    expect(serviceByShortOrName('api')?.name).toBe('api-service');
    expect(serviceByShortOrName('api-service')?.name).toBe('api-service');
    expect(serviceByShortOrName('nope')).toBeUndefined();
    // The shipped services first by name; a service `npm run new-service` adds joins the lists by rule.
    const names = (services: { name: string }[]) => services.map((service) => service.name);
    for (const [list, rule] of [
      [canaryServices(), (service: (typeof SERVICES)[number]) => service.canary],
      [nodeServices(), (service: (typeof SERVICES)[number]) => service.runtime === 'node'],
    ] as const) {
      expect(names(list).slice(0, 2)).toEqual(['api-service', 'store-service']);
      expect(list).toEqual(SERVICES.filter(rule));
    }
    expect(nodeServices().map((service) => service.name)).not.toContain('web');
    expect(serviceForGrpc('store.v1.ItemsService')?.name).toBe('store-service');
    expect(serviceForGrpc('grpc.health.v1.Health')).toBeUndefined();
    expect(canaryNamespace(serviceNamed('store-service'), '42')).toBe('store-canary-pr-42');
    expect(canaryLabel(serviceNamed('api-service'))).toBe('canary/api-service');
    expect(tableFor(serviceNamed('store-service'), 'stable')).toBe('pr-canary-items');
    expect(tableFor(serviceNamed('store-service'), 'pr-7')).toBe('pr-canary-items-pr-7');
    expect(() => tableFor(serviceNamed('api-service'), 'stable')).toThrow(/api-service has no table/);
    expect(addressVariable(serviceNamed('store-service'))).toBe('STORE_ADDR');
    expect(addressVariable({ short: 'price-list' })).toBe('PRICE_LIST_ADDR');
  });

  it('is frozen', () => {
    expect(Object.isFrozen(SERVICES)).toBe(true);
    expect(Object.isFrozen(SERVICES[0])).toBe(true);
  });
});

describe('defineServices', () => {
  const refused: [string, unknown, RegExp][] = [
    ['no list', {}, /non-empty "services" list/],
    ['an empty list', { services: [] }, /non-empty "services" list/],
    ['a non-object entry', { services: ['store'] }, /services\[0\] must be an object/],
    [
      'an upper-case name',
      { services: [{ ...store, name: 'Store' }] },
      /services\[0\]: name must be a lower-case RFC 1035 label/,
    ],
    [
      'an unknown field',
      { services: [{ ...store, replicas: 3 }] },
      /store-service: replicas is not a registry field/,
    ],
    ['a missing short', { services: [{ ...store, short: undefined }] }, /store-service: short must be/],
    [
      'a short too long for a canary namespace',
      { services: [{ ...store, short: 'a'.repeat(44) }] },
      /short must be at most 43 characters/,
    ],
    [
      'a name whose PR label is longer than GitHub takes',
      { services: [{ ...store, name: `${'a'.repeat(36)}-service`, image: 'x' }] },
      /aaaa-service: name must be at most 43 characters \(its PR label canary\/<name> within GitHub's 50\)/,
    ],
    [
      'a name that names this machine',
      { services: [{ ...store, name: 'localhost' }] },
      /localhost: name "localhost" names this machine/,
    ],
    [
      'a short name that names this machine',
      { services: [{ ...store, short: 'ip6-localhost' }] },
      /store-service: short "ip6-localhost" names this machine/,
    ],
    ['a port out of range', { services: [{ ...store, port: 70_000 }] }, /port must be a port number/],
    [
      'a metrics port equal to the port',
      { services: [{ ...store, metricsPort: 8080 }] },
      /metricsPort must differ/,
    ],
    [
      'an unknown protocol',
      { services: [{ ...store, protocol: 'tcp' }] },
      /protocol must be one of http, grpc/,
    ],
    ['grpc at the edge', { services: [{ ...store, hop: 'edge' }] }, /hop must be mesh for a grpc service/],
    [
      'http in the mesh',
      { services: [{ ...store, protocol: 'http', hop: 'mesh', grpcService: undefined }] },
      /hop must be edge for an http service/,
    ],
    [
      'grpc without its service name',
      { services: [{ ...store, grpcService: undefined }] },
      /grpcService is required/,
    ],
    [
      'a malformed gRPC service name',
      { services: [{ ...store, grpcService: 'Items' }] },
      /grpcService must be a package-qualified/,
    ],
    ['canary as a string', { services: [{ ...store, canary: 'yes' }] }, /canary must be true or false/],
    [
      'a canaried static bundle',
      { services: [{ ...store, runtime: 'static', protocol: 'http', hop: 'edge', grpcService: undefined }] },
      /static bundles are served over http and never canaried/,
    ],
    [
      'two services with one short name',
      {
        services: [
          store,
          {
            ...store,
            name: 'store-2',
            image: 'store-2',
            workspace: 'apps/s2',
            package: '@x/s2',
            grpcService: 'a.B',
          },
        ],
      },
      /two services have short "store"/,
    ],
  ];
  it.each(refused)('refuses %s, naming the entry and field', (_, data, message) => {
    expect(() => defineServices(data)).toThrow(ServiceRegistryError);
    expect(() => defineServices(data)).toThrow(message);
  });

  it('accepts a well-formed entry as it is', () => {
    expect(defineServices({ services: [store] })).toEqual([store]);
  });

  it('accepts the longest name whose PR label GitHub takes (50 characters)', () => {
    const name = `${'a'.repeat(MAX_SERVICE_NAME_LENGTH - '-service'.length)}-service`;
    expect(canaryLabel({ name })).toHaveLength(GITHUB_LABEL_MAX_LENGTH);
    expect(defineServices({ services: [{ ...store, name }] })[0]?.name).toBe(name);
  });
});
