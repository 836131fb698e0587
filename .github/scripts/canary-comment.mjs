#!/usr/bin/env node
// The one PR comment that says where a PR's canary is and how to reach it.
//
//   node canary-comment.mjs render --pr 42 --sha <40-hex> --owner acme --build '["api-service"]' \
//        --probe passed|failed|skipped [--api-url https://api.example.com] [--web-url …] \
//        [--run-url …] [--argocd-url …] [--grafana-url …] [--verdict verdict.md] [--probe-result probe.json]
//        → markdown on stdout (probe.json: what `pr-canary probe --json` printed; names the canaries it could not check)
//   (verdict.md: what `pr-canary analyze --markdown` wrote — PR vs stable per hop)
//   gh api --paginate repos/o/r/issues/42/comments --jq '.[] | {id, user: .user.login, body}' \
//     | node canary-comment.mjs find-id                                → id of our comment, or nothing
//
// The body starts with a hidden marker, so every push edits the same comment instead of adding one.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runAsScript } from './cli.mjs';
import { checkPrNumber, imageRepository, prImageTag, SHORT_SHA_LENGTH } from './image-ref.mjs';
import { CANARY_SERVICES, serviceNamed } from './services.mjs';

export const COMMENT_MARKER = '<!-- pr-canary:canary-comment -->';
/** The login GitHub shows for comments made with the workflow's GITHUB_TOKEN. */
export const BOT_LOGIN = 'github-actions[bot]';

/** @typedef {'passed' | 'failed' | 'skipped'} ProbeOutcome */
const PROBE_TEXT = /** @type {const} */ ({
  passed: '✅ every hop answered from the expected track',
  failed: '❌ the probe did not see the expected tracks — see the workflow run',
  skipped: '⏭️ not run (no integration URL configured for this repository)',
});

/**
 * Only plain http(s) URLs without characters that could break out of markdown reach the comment.
 * @param {string | undefined} raw
 * @param {string} name
 */
export function safeUrl(raw, name) {
  if (raw === undefined || raw === '') return undefined;
  let url;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`--${name} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`--${name} must be http(s)`);
  if (url.username || url.password) throw new Error(`--${name} must not carry credentials`);
  const text = url.href.replace(/\/$/, '');
  if (/[\s<>()[\]`'"|]/.test(text)) throw new Error(`--${name} contains characters not allowed in a link`);
  return text;
}

/** The verdict table `pr-canary analyze --markdown` writes: a few lines of fixed wording and numbers. */
const MAX_VERDICT_LINES = 24;
const MAX_VERDICT_CHARS = 4000;

/**
 * Checks the verdict markdown before it goes into the comment: it must be analyze's own shape (it
 * starts with **Verdict:**) and carry no HTML, links, images or code spans.
 * @param {string} markdown
 */
export function checkVerdictMarkdown(markdown) {
  const text = markdown.trim();
  if (!text.startsWith('**Verdict:**'))
    throw new Error('--verdict is not what pr-canary analyze --markdown writes');
  if (text.length > MAX_VERDICT_CHARS || text.split('\n').length > MAX_VERDICT_LINES)
    throw new Error('--verdict is longer than a verdict');
  if (/[<>`]|\]\(|!\[/.test(text)) throw new Error('--verdict may not contain HTML, links or code');
  return text;
}

/**
 * @param {{ pr: string, sha: string, owner: string, build: string[], probe: ProbeOutcome,
 *   apiUrl?: string, webUrl?: string, runUrl?: string, argocdUrl?: string, grafanaUrl?: string,
 *   verdict?: string, unchecked?: string[] }} input
 */
export function renderComment(input) {
  const pr = checkPrNumber(input.pr);
  const tag = prImageTag({ pr, sha: input.sha });
  const build = input.build.map((name) => serviceNamed(name).name);
  const api = safeUrl(input.apiUrl, 'api-url');
  const lines = [
    COMMENT_MARKER,
    `### 🐤 Canary for #${pr}`,
    '',
    `Commit \`${input.sha.slice(0, SHORT_SHA_LENGTH)}\` · requests with \`X-Canary: ${pr}\` reach:`,
    '',
    '| service | track | image |',
    '| --- | --- | --- |',
    ...CANARY_SERVICES.map((service) =>
      build.includes(service.name)
        ? `| ${service.name} | \`pr-${pr}\` | \`${imageRepository(input.owner, service.name)}:${tag}\` |`
        : `| ${service.name} | \`stable\` | unchanged by this PR |`,
    ),
    '',
    `**Probe:** ${probeLine(input.probe, input.unchecked ?? [])}`,
    '',
    ...(input.verdict === undefined ? [] : [checkVerdictMarkdown(input.verdict), '']),
    ...tryItSection(pr, api),
    ...browserSection(pr, api, safeUrl(input.webUrl, 'web-url')),
    ...linksSection(pr, input),
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * The probe's outcome; a pass that could not check every canary says which (a service `GET /api/route`
 * does not pass through: nothing tells whether its canary is up).
 * @param {ProbeOutcome} probe
 * @param {string[]} unchecked
 */
function probeLine(probe, unchecked) {
  if (probe !== 'passed' || unchecked.length === 0) return PROBE_TEXT[probe];
  const names = unchecked.map((name) => serviceNamed(name).name).join(', ');
  return `✅ every hop \`GET /api/route\` passes answered from the expected track · ⚠️ not checked: ${names} (the probe's request does not pass through it, so this run cannot tell whether its canary is up — try it directly)`;
}

/**
 * The services whose expectation `pr-canary probe --json` could not check (no request passed them).
 * @param {string} text what the probe printed with --json
 * @returns {string[]}
 */
export function uncheckedServices(text) {
  /** @type {unknown} */
  const result = JSON.parse(text);
  const expectations = /** @type {{ expectations?: unknown }} */ (result)?.expectations;
  if (!Array.isArray(expectations))
    throw new Error('--probe-result is not what pr-canary probe --json writes');
  return expectations.flatMap((entry) => {
    const { service, checked } = /** @type {{ service?: unknown, checked?: unknown }} */ (entry ?? {});
    if (typeof service !== 'string' || typeof checked !== 'boolean')
      throw new Error('--probe-result is not what pr-canary probe --json writes');
    return checked ? [] : [serviceNamed(service).name];
  });
}

/**
 * @param {string} pr
 * @param {string | undefined} apiUrl
 */
function tryItSection(pr, apiUrl) {
  const api = apiUrl ?? 'https://api.<integration-domain>';
  return [
    '<details open><summary><b>Try it with curl</b></summary>',
    '',
    '```sh',
    '# which track served each hop of the call (hops in the body)',
    `curl -sS -H 'X-Canary: ${pr}' ${api}/api/route`,
    '# the same call, with the X-Served-By response header',
    `curl -sS -i -H 'X-Canary: ${pr}' ${api}/api/items`,
    '# without the header you are on stable',
    `curl -sS ${api}/api/route`,
    '```',
    '',
    '</details>',
    '',
  ];
}

/**
 * The extension steps. Origins are written with their scheme, as the popup stores them; the page's own
 * origin is listed too: Chrome only adds the key to a page's requests when the extension may access
 * the page as well as the API.
 * @param {string} pr
 * @param {string | undefined} api
 * @param {string | undefined} web
 */
function browserSection(pr, api, web) {
  const apiOrigin = api ? new URL(api).origin : 'https://api.<integration-domain>';
  const webOrigin = web ? new URL(web).origin : 'https://<web-ui-host>';
  const open = web ? `Open ${web}` : 'Open the web UI';
  return [
    '<details><summary><b>Try it in the browser</b></summary>',
    '',
    '1. Load `extension-canary/` as an unpacked extension (`npm run build -w @pr-canary/extension-canary`,',
    '   then chrome://extensions → Developer mode → Load unpacked → `extension-canary/build`).',
    `2. ${open}, click the PR Canary icon → **Add this page and the API it calls** (it adds`,
    `   \`${webOrigin}\` and \`${apiOrigin}\`; Chrome asks once), set the PR to \`${pr}\`, **Turn on**, reload.`,
    `   By hand: add both origins, the page's and the API's: the key only reaches the API when both are listed.`,
    `3. The route inspector shows \`pr-${pr}\` on every hop this PR changes, and the popup says`,
    `   "The API received X-Canary ${pr} from PR Canary".`,
    '',
    '</details>',
    '',
  ];
}

/**
 * @param {string} pr
 * @param {{ runUrl?: string, argocdUrl?: string, grafanaUrl?: string }} input
 */
function linksSection(pr, input) {
  const run = safeUrl(input.runUrl, 'run-url');
  const argocd = safeUrl(input.argocdUrl, 'argocd-url');
  const grafana = safeUrl(input.grafanaUrl, 'grafana-url');
  const links = [
    run && `[workflow run](${run})`,
    argocd && `[Argo CD](${argocd}/applications?search=pr-${pr})`,
    grafana && `[canary vs stable dashboard](${grafana}/d/pr-canary-vs-stable?var-track=pr-${pr})`,
  ].filter(Boolean);
  return links.length > 0 ? [`Links: ${links.join(' · ')}`, ''] : [];
}

/**
 * Finds our comment among the PR's comments (one JSON object per line: {id, user, body}).
 * @param {string} ndjson
 * @returns {string | undefined}
 */
export function findCommentId(ndjson) {
  for (const line of ndjson.split('\n')) {
    if (line.trim() === '') continue;
    const comment = JSON.parse(line);
    if (
      comment.user === BOT_LOGIN &&
      typeof comment.body === 'string' &&
      comment.body.startsWith(COMMENT_MARKER)
    ) {
      if (!/^[0-9]+$/.test(String(comment.id))) throw new Error('comment id is not numeric');
      return String(comment.id);
    }
  }
  return undefined;
}

/**
 * @param {string[]} argv
 * @param {() => string} readStdin
 */
export function main(argv, readStdin) {
  const [command, ...rest] = argv;
  if (command === 'find-id') return findCommentId(readStdin()) ?? '';
  if (command !== 'render') throw new Error('usage: canary-comment.mjs render|find-id [options]');
  const { values } = parseArgs({
    args: rest,
    options: {
      pr: { type: 'string' },
      sha: { type: 'string' },
      owner: { type: 'string' },
      build: { type: 'string', default: '[]' },
      probe: { type: 'string', default: 'skipped' },
      'api-url': { type: 'string' },
      'web-url': { type: 'string' },
      'run-url': { type: 'string' },
      'argocd-url': { type: 'string' },
      'grafana-url': { type: 'string' },
      verdict: { type: 'string' },
      'probe-result': { type: 'string' },
    },
  });
  const probe = values.probe;
  if (probe !== 'passed' && probe !== 'failed' && probe !== 'skipped') {
    throw new Error('--probe must be passed, failed or skipped');
  }
  /** @type {unknown} */
  const build = JSON.parse(values.build);
  if (!Array.isArray(build) || !build.every((name) => typeof name === 'string')) {
    throw new Error('--build must be a JSON array of service names');
  }
  return renderComment({
    pr: values.pr ?? '',
    sha: values.sha ?? '',
    owner: values.owner ?? '',
    build,
    probe,
    apiUrl: values['api-url'],
    webUrl: values['web-url'],
    runUrl: values['run-url'],
    argocdUrl: values['argocd-url'],
    grafanaUrl: values['grafana-url'],
    verdict: values.verdict === undefined ? undefined : readFileSync(values.verdict, 'utf8'),
    unchecked: values['probe-result'] === undefined ? [] : uncheckedOrNone(values['probe-result']),
  });
}

/**
 * The unchecked services of a probe result file; a file that cannot be read costs the comment only
 * that line (said on stderr, in the run's log), never the whole comment.
 * @param {string} file
 */
function uncheckedOrNone(file) {
  try {
    return uncheckedServices(readFileSync(file, 'utf8'));
  } catch (error) {
    process.stderr.write(
      `canary-comment: ${file}: ${/** @type {Error} */ (error).message}; no "not checked" line\n`,
    );
    return [];
  }
}

runAsScript(import.meta.url, 'canary-comment', () =>
  main(process.argv.slice(2), () => readFileSync(0, 'utf8')),
);
