/**
 * `npm run new-service -- <name> --protocol http|grpc` (see README.md). Exit codes: 0 written, 1 refused
 * or failed (nothing changed), 2 usage.
 */
import { parseArgs } from 'node:util';
import { GENERATED_PROTO, ScaffoldRefusedError, scaffold } from './scaffold';

const USAGE = `usage: npm run new-service -- <name> --protocol http|grpc

  <name>        the service's name, e.g. billing-service (lower case, digits and "-"; the part
                before -service names its namespaces: billing-canary-pr-<N>)
  --protocol    http: a Fastify service routed at the edge by X-Canary
                grpc: a grpc-js service with a proto contract, routed in the mesh by x-canary
`;

function usage(message: string): never {
  process.stderr.write(`new-service: ${message}\n\n${USAGE}`);
  process.exit(2);
}

const OPTIONS = {
  // Every --protocol is kept, so a second one is refused instead of silently winning.
  options: { protocol: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
  allowPositionals: true,
  strict: true,
} as const;

function parseArguments(): ReturnType<typeof parseArgs<typeof OPTIONS>> {
  try {
    return parseArgs(OPTIONS);
  } catch (error) {
    if (!(error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) throw error;
    // Node's first sentence names the culprit; its hint (put it after '--') is wrong under npm run.
    const first = (error as Error).message.split('. ')[0];
    return usage(`${first}; \`npm run new-service -- --help\` lists every option`);
  }
}

/** The files to show, one a line; the contract's generated types (git-ignored build output) as one line. */
function listed(files: readonly string[]): string[] {
  const generated = files.some((file) => file.startsWith(`${GENERATED_PROTO}/`));
  return [
    ...files.filter((file) => !file.startsWith(`${GENERATED_PROTO}/`)).map((file) => `  ${file}`),
    ...(generated ? [`  ${GENERATED_PROTO}/ (its generated types; git-ignored)`] : []),
  ];
}

function main(): void {
  const parsed = parseArguments();
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const [name, ...extra] = parsed.positionals;
  if (name === undefined) usage('a service name is required');
  if (extra.length > 0) usage(`one name at a time (also got ${extra.length} more)`);
  const [protocol, ...moreProtocols] = parsed.values.protocol ?? [];
  if (protocol === undefined) usage('--protocol is required (http or grpc)');
  if (moreProtocols.length > 0) usage('--protocol is given more than once: give it once (http or grpc)');
  try {
    const result = scaffold({ name, protocol });
    const lines = [
      `new-service: ${result.service.name} (${result.protocol}) is ready.`,
      '',
      'created:',
      ...listed(result.created),
      'updated:',
      ...listed(result.updated),
      '',
      'next:',
      `  npm test -w @pr-canary/${result.service.name}`,
      `  npm start -- --canary 42=${result.service.short}     # stable plus a PR 42 canary of it`,
      '',
    ];
    process.stdout.write(lines.join('\n'));
  } catch (error) {
    if (error instanceof ScaffoldRefusedError) {
      process.stderr.write(`new-service: ${error.message}\n`);
    } else {
      process.stderr.write(`new-service: ${(error as Error).message}\nnothing was changed\n`);
    }
    process.exitCode = 1;
  }
}

main();
