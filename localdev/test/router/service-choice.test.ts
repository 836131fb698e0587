import { nodeServices } from '@pr-canary/contracts/services';
import { healthClientConstructor } from '@pr-canary/proto';
import { describe, expect, it } from 'vitest';
import { healthRequestService, meshServiceFor } from '../../src/router/grpc-router';
import { edgeServiceFor } from '../../src/router/http-router';

/**
 * Which registered service each dev router entry picks, before the canary rule. (The stack test calls
 * every registered service through the real routers; these pin the choice rules themselves.)
 */
const edge = nodeServices().filter((service) => service.hop === 'edge');
const mesh = nodeServices().filter((service) => service.hop === 'mesh');

/** A HealthCheckRequest as grpc-js sends it: the length-prefixed frame of its protobuf bytes. */
function healthFrame(service: string, { compressed = false } = {}): Buffer {
  const body = healthClientConstructor().service.Check.requestSerialize({ service });
  const head = Buffer.alloc(5);
  head[0] = compressed ? 1 : 0;
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

describe('HTTP entry: the edge service by Host', () => {
  it.each(edge)('reaches $name by its short name or name as the first Host label', (service) => {
    expect(edgeServiceFor(`${service.short}.localhost:8080`)).toBe(service);
    expect(edgeServiceFor(`${service.name}.example.com`)).toBe(service);
    expect(edgeServiceFor(service.short.toUpperCase())).toBe(service);
  });

  it('sends any other Host to the first edge service of the registry', () => {
    for (const host of ['localhost:8080', '127.0.0.1:8080', '[::1]:8080', 'unknown.localhost', '', undefined])
      expect(edgeServiceFor(host)).toBe(edge[0]);
    for (const service of mesh) expect(edgeServiceFor(`${service.short}.localhost`)).toBe(edge[0]);
  });
});

describe('gRPC entry: the mesh service by :authority, path or health request', () => {
  it.each(mesh)('reaches $name by :authority, whatever the path', (service) => {
    expect(meshServiceFor(`${service.name}.apps.svc.cluster.local:80`, '/x.Y/Z')).toBe(service);
    expect(meshServiceFor(`${service.short}:8081`, '/grpc.health.v1.Health/Check')).toBe(service);
  });

  it.each(mesh)('reaches $name by its gRPC service path', (service) => {
    expect(meshServiceFor('127.0.0.1:8081', `/${service.grpcService}/AnyMethod`)).toBe(service);
  });

  it('reads the health request for Check and Watch, and routes nothing else', () => {
    expect(meshServiceFor('127.0.0.1:8081', '/grpc.health.v1.Health/Check')).toBe('by health request');
    expect(meshServiceFor('127.0.0.1:8081', '/grpc.health.v1.Health/Watch')).toBe('by health request');
    expect(meshServiceFor('127.0.0.1:8081', '/grpc.health.v1.Health/List')).toBeUndefined();
    expect(meshServiceFor('127.0.0.1:8081', '/cart.v1.CartService/Get')).toBeUndefined();
    expect(meshServiceFor('127.0.0.1:8081', '/not a path')).toBeUndefined();
    expect(meshServiceFor(undefined, undefined)).toBeUndefined();
    // An edge service's name in :authority does not make it a mesh service.
    for (const service of edge) expect(meshServiceFor(`${service.name}:80`, '/x.Y/Z')).toBeUndefined();
  });

  it('decodes the service a grpc-js HealthCheckRequest names', () => {
    for (const service of mesh)
      expect(healthRequestService(healthFrame(service.grpcService ?? ''))).toBe(service.grpcService);
    expect(healthRequestService(healthFrame(''))).toBe('');
    expect(healthRequestService(healthFrame('x'.repeat(300)))).toBe('x'.repeat(300));
  });

  it('gives up on a compressed, cut-short or malformed frame instead of guessing', () => {
    const frame = healthFrame('store.v1.ItemsService');
    expect(healthRequestService(healthFrame('store.v1.ItemsService', { compressed: true }))).toBeUndefined();
    expect(healthRequestService(frame.subarray(0, frame.length - 1))).toBeUndefined();
    expect(healthRequestService(frame.subarray(0, 3))).toBeUndefined();
    // field 1 claims 200 bytes but the message holds 3
    expect(healthRequestService(Buffer.from([0, 0, 0, 0, 5, 0x0a, 200, 1, 0x61, 0x62]))).toBeUndefined();
    // wire type 7 does not exist
    expect(healthRequestService(Buffer.from([0, 0, 0, 0, 1, 0x0f]))).toBeUndefined();
  });
});
