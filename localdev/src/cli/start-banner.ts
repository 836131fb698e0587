/**
 * The ready banner of `npm start` (start.ts): every part's address, the canaries it runs, and commands
 * to try that work against this very stack as started — its ports, its canaries.
 */
import * as path from 'node:path';
import { CANARY_HEADER, CANARY_HEADER_CANONICAL } from '@pr-canary/contracts/canary-key';
import { type Hop, nodeServices, serviceNamed } from '@pr-canary/contracts/services';
import type { CanarySpec } from '../stack/canary-config';
import { paint } from '../stack/prefix';
import type { Stack } from '../stack/stack';
import { terminalLine } from './args';
import { DEFAULT_CONTROL_URL } from './port-options';
import type { StartCommand } from './start-options';

/**
 * `pr-canary analyze` and `fault` for a PR the stack runs, aimed at its control endpoint (`--control`
 * unless it is the CLI's default), the fault at a service the PR really has a canary of (its last:
 * the deepest hop, where a fault shows in every response of the path).
 */
export function controlHints(canary: Pick<CanarySpec, 'pr' | 'services'>, control: string): string[] {
  const at = control === DEFAULT_CONTROL_URL ? '' : ` --control ${control}`;
  const service = canary.services.at(-1);
  return [
    `   npx pr-canary analyze --pr ${canary.pr}${at}   # PR ${canary.pr} against stable, per hop`,
    ...(service === undefined
      ? []
      : [
          `   npx pr-canary fault ${canary.pr}:${serviceNamed(service).short}:error-rate=0.2${at}   # break it on purpose (…:none to fix)`,
        ]),
  ];
}

type BannerRow = [label: string, address: string, note: string];

/** The ready banner `npm start` prints: where each part listens, the canaries, and commands to try. */
export function banner(
  urls: Stack['urls'],
  command: Pick<StartCommand, 'canaries' | 'canariesSource' | 'dataDir' | 'faults'>,
  seconds: string,
  color: boolean,
): string {
  const apiUrl = urls.api.replace('127.0.0.1', 'localhost');
  const bold = (text: string) => (color ? paint(1, text) : text);
  const canaryLines = command.canaries.length
    ? command.canaries.map((c) => `   PR ${c.pr.padEnd(6)} ${c.services.join(' + ')}  (version ${c.version})`)
    : ['   none: stable only'];
  const first = command.canaries[0];
  const pr = first?.pr;
  // A PR whose canaries leave out an edge service: its key goes through a stable edge instance.
  const edgeNames = nodeServices()
    .filter((service) => service.hop === 'edge')
    .map((service) => service.name);
  const behindStable = command.canaries.find((c) => edgeNames.some((name) => !c.services.includes(name)))?.pr;
  const web: BannerRow[] = urls.web
    ? [['web UI', urls.web, 'items + route inspector (with the waterfall)']]
    : [];
  const traces: BannerRow[] = urls.traces
    ? [['traces', urls.traces, 'OTLP/HTTP receiver; every response names its trace in X-Trace-Id']]
    : [];
  const hopRows = (hop: Hop, address: string, header: string): BannerRow[] =>
    nodeServices()
      .filter((service) => service.hop === hop)
      .map((service, index) => [
        `${service.short} (${hop})`,
        hop === 'edge' && index > 0
          ? address.replace('//localhost:', `//${service.short}.localhost:`)
          : address,
        `${header}: N → PR N's ${service.short} canary if it has one (503 while that is down), else stable`,
      ]);
  const dynamodb: BannerRow[] = urls.dynamodb
    ? [
        [
          'dynamodb',
          urls.dynamodb,
          // A folder name is the user's text: its control characters are shown as `?`, never run.
          command.dataDir
            ? terminalLine(`data in ${path.relative(process.cwd(), command.dataDir)}`)
            : 'in memory',
        ],
      ]
    : [];
  const parts: BannerRow[] = [
    ...web,
    ...hopRows('edge', apiUrl, CANARY_HEADER_CANONICAL),
    ...hopRows('mesh', urls.grpc, CANARY_HEADER),
    ...dynamodb,
    ...traces,
    ['control', urls.control, 'pr-canary fault / analyze; the verdicts the web UI shows'],
  ];
  const urlWidth = Math.max(...parts.map(([, url]) => url.length));
  return [
    '',
    bold(`pr-canary local stack is ready in ${seconds} s`),
    ...parts.map(([label, url, note]) => `   ${label.padEnd(14)} ${url.padEnd(urlWidth)}   ${note}`),
    ` canaries (from ${command.canariesSource}):`,
    ...canaryLines,
    ' try:',
    `   curl -i ${apiUrl}/api/route`,
    ...[pr, behindStable]
      .filter((key, index, all) => key !== undefined && all.indexOf(key) === index)
      .map((key) => `   curl -i -H 'X-Canary: ${key}' ${apiUrl}/api/route`),
    ...(pr ? [`   npx pr-canary probe --url ${apiUrl} --pr ${pr}`] : []),
    ...(urls.traces
      ? [`   npx pr-canary trace --last --url ${urls.traces.replace('127.0.0.1', 'localhost')}`]
      : []),
    ...(first ? controlHints(first, urls.control) : []),
    ...command.faults.map((f) => `   faults: ${f.service} ${f.track}: ${f.spec}`),
    ' Ctrl-C stops everything.',
    '',
  ].join('\n');
}
