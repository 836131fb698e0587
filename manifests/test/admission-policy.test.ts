/**
 * The platform's ValidatingAdmissionPolicies (platform/pr-canary-admission.yaml), their CEL evaluated
 * offline (src/admission.ts) against the routes the PR apps really render and against bad ones.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { admit } from '../src/admission';
import type { KubeObject } from '../src/objects';
import { admissionProblems, admissionRequest } from '../src/verify';
import { find, prApp, realContext, renderedSource } from './helper';

let platform: KubeObject[];
beforeAll(async () => {
  platform = await renderedSource('platform');
  await realContext();
});

const policy = (name: string) => find(platform, 'ValidatingAdmissionPolicy', name);
const edge = (o: KubeObject) =>
  admit(policy('pr-canary-edge-routes'), o, admissionRequest(o, 'ingressroutes'));
const mesh = (o: KubeObject) => admit(policy('pr-canary-mesh-routes'), o, admissionRequest(o, 'grpcroutes'));

async function prIngressRoute(): Promise<KubeObject> {
  const ctx = await realContext();
  return structuredClone(find(prApp(ctx, 'api-service').objects, 'IngressRoute', 'api-service'));
}
async function prGrpcRoute(): Promise<KubeObject> {
  const ctx = await realContext();
  return structuredClone(find(prApp(ctx, 'store-service').objects, 'GRPCRoute', 'store-service-pr-7'));
}
const withMatch = (route: KubeObject, match: string) => {
  route.spec.routes[0].match = match;
  return route;
};
const HOST = 'Host(`api.int-001.example.com`)';

describe('the bindings', () => {
  it('bind each policy with Deny', () => {
    for (const name of ['pr-canary-edge-routes', 'pr-canary-mesh-routes', 'pr-canary-images']) {
      expect(find(platform, 'ValidatingAdmissionPolicyBinding', name).spec).toEqual({
        policyName: name,
        validationActions: ['Deny'],
      });
      expect(policy(name).spec.failurePolicy).toBe('Fail');
    }
  });
});

describe('every PR canary of every registered service', () => {
  it('is admitted: its routes and its workloads, as its PR app renders them', async () => {
    const ctx = await realContext();
    expect(ctx.corpus.prApps.length).toBeGreaterThan(0);
    expect(admissionProblems(platform, ctx.corpus.prApps)).toEqual([]);
  });
});

describe('pr-canary-edge-routes: an IngressRoute in api-canary-pr-N matches only X-Canary N', () => {
  it('admits the route the PR app renders', async () => {
    const route = await prIngressRoute();
    expect(route.metadata.namespace).toBe('api-canary-pr-7');
    expect(edge(route)).toEqual({ matched: true, allowed: true, messages: [] });
  });

  it('admits the rule that also refuses requests carrying another X-Canary value', async () => {
    const rule = `${HOST} && Header(\`X-Canary\`, \`7\`) && !HeaderRegexp(\`X-Canary\`, \`^(?:$|[^7]|7(?:[\\s\\S]))\`)`;
    expect(edge(withMatch(await prIngressRoute(), rule)).allowed).toBe(true);
  });

  it.each([
    ['no header at all (all traffic to the PR)', HOST],
    ["another PR's key", `${HOST} && Header(\`X-Canary\`, \`8\`)`],
    ['a key that merely starts with N', `${HOST} && Header(\`X-Canary\`, \`77\`)`],
    [
      'an alternative without the header',
      `${HOST} && Header(\`X-Canary\`, \`7\`) || Host(\`app.int-001.example.com\`)`,
    ],
    ['a regexp instead of the exact header', `${HOST} && HeaderRegexp(\`X-Canary\`, \`.*\`)`],
    ['a negated header', `${HOST} && !Header(\`X-Canary\`, \`7\`)`],
  ])('refuses %s', async (_what, rule) => {
    const result = edge(withMatch(await prIngressRoute(), rule));
    expect(result.allowed).toBe(false);
    expect(result.messages.join('\n')).toMatch(/must match Host\(`<host>`\) && Header\(`X-Canary`, `7`\)/);
  });

  it('refuses a second route without the header', async () => {
    const route = await prIngressRoute();
    route.spec.routes.push({ ...route.spec.routes[0], match: HOST, priority: 1000 });
    expect(edge(route).allowed).toBe(false);
  });

  it('refuses a namespace that is not api-canary-pr-<number>', async () => {
    const route = await prIngressRoute();
    route.metadata.namespace = 'api-canary-pr-07';
    expect(edge(route).messages).toContain('namespace api-canary-pr-07 is not api-canary-pr-<PR number>');
  });

  it('does not apply outside PR api namespaces (stable routes in apps)', async () => {
    const ctx = await realContext();
    const stable = find(ctx.corpus.overlays['integration-001'], 'IngressRoute', 'api-service');
    expect(edge(stable).matched).toBe(false);
  });
});

describe('pr-canary-mesh-routes: a GRPCRoute in apps leaving apps is PR N only, x-canary = N → store-canary-pr-N', () => {
  it('admits the route the PR app renders and the stable catch-all', async () => {
    expect(mesh(await prGrpcRoute())).toEqual({ matched: true, allowed: true, messages: [] });
    const ctx = await realContext();
    const stable = ctx.corpus.overlays['integration-001'].filter((o) => o.kind === 'GRPCRoute');
    expect(stable.length).toBeGreaterThan(0);
    for (const route of stable) expect(mesh(route).allowed, route.metadata.name).toBe(true);
  });

  const cases: [string, (r: KubeObject) => void, RegExp][] = [
    [
      'another PR key',
      (r) => (r.spec.rules[0].matches[0].headers[0].value = '8'),
      /must match only x-canary Exact 7/,
    ],
    [
      'a regular-expression match',
      (r) => (r.spec.rules[0].matches[0].headers[0].type = 'RegularExpression'),
      /must match only x-canary Exact 7/,
    ],
    [
      'no match at all (every request)',
      (r) => delete r.spec.rules[0].matches,
      /must match only x-canary Exact 7/,
    ],
    [
      'a second match without the key',
      (r) => r.spec.rules[0].matches.push({ method: { service: 'store.v1.Items' } }),
      /must match only x-canary Exact 7/,
    ],
    [
      "another PR's namespace as backend",
      (r) => (r.spec.rules[0].backendRefs[0].namespace = 'store-canary-pr-8'),
      /must send only to store-service in store-canary-pr-7/,
    ],
    [
      'the stable store as backend',
      (r) => (r.spec.rules[0].backendRefs[0].namespace = 'apps'),
      /must send only to store-service in store-canary-pr-7/,
    ],
    [
      'a mirror filter',
      (r) =>
        (r.spec.rules[0].filters = [
          {
            type: 'RequestMirror',
            requestMirror: { backendRef: { name: 'x', namespace: 'evil', port: 80 } },
          },
        ]),
      /must match only x-canary Exact 7/,
    ],
    [
      'another parent Service',
      (r) => (r.spec.parentRefs[0].name = 'api-service'),
      /attaches only to the Service store-service/,
    ],
    [
      'a name that is not store-service-pr-N',
      (r) => (r.metadata.name = 'store-service-extra'),
      /sends traffic out of apps: only a PR route/,
    ],
  ];
  it.each(cases)('refuses %s', async (_what, mutate, expected) => {
    const route = await prGrpcRoute();
    mutate(route);
    const result = mesh(route);
    expect(result.allowed).toBe(false);
    expect(result.messages.join('\n')).toMatch(expected);
  });
});

describe("pr-canary-images: PR workloads run only this repository's images tagged for their PR", () => {
  const images = (o: KubeObject) => admit(policy('pr-canary-images'), o, admissionRequest(o, 'deployments'));
  const prDeployment = async (kind: 'api-service' | 'store-service') => {
    const ctx = await realContext();
    return structuredClone(find(prApp(ctx, kind).objects, 'Deployment', kind));
  };

  it.each(['api-service', 'store-service'] as const)(
    'admits the %s Deployment the PR app renders',
    async (kind) => {
      const d = await prDeployment(kind);
      expect(images(d)).toEqual({ matched: true, allowed: true, messages: [] });
    },
  );

  it.each([
    ['another registry', 'docker.io/evil/api-service:pr-7-a1b2c3d4'],
    ["another PR's tag", 'ghcr.io/pr-canary/api-service:pr-8-a1b2c3d4'],
    ['a mutable tag', 'ghcr.io/pr-canary/api-service:latest'],
    ['a stable release', 'ghcr.io/pr-canary/api-service:0.1.0'],
  ])('refuses %s', async (_what, image) => {
    const d = await prDeployment('api-service');
    d.spec.template.spec.containers[0].image = image;
    const result = images(d);
    expect(result.allowed).toBe(false);
    expect(result.messages).toEqual([
      'containers in api-canary-pr-7 run only ghcr.io/pr-canary/<service>:pr-7-<8 hex> images',
    ]);
  });

  it('does not apply to stable workloads in apps', async () => {
    const ctx = await realContext();
    expect(images(find(ctx.corpus.overlays['integration-001'], 'Deployment', 'api-service')).matched).toBe(
      false,
    );
  });
});
