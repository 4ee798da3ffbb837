import { parseArgs } from 'node:util';
import type { ActOnEmulatorOptions, EmulatorUser } from './options';

/** Usage text of `acton-emulator`. */
export const USAGE = `Usage: acton-emulator [options]

A local Act-On for development and tests: /authorize, /token and /api/1/account with Act-On's rules.

Options:
  --port <n>             port to listen on (default 4010; 0 picks a free port)
  --host <address>       address to bind (default 127.0.0.1)
  --client-id <id>       accepted client id (default emulator-client-id)
  --client-secret <s>    accepted client secret (default emulator-client-secret)
  --user <name:password> a user who can sign in; repeatable (default demo@example.com:demo-password)
  --token-ttl <sec>      access token lifetime in seconds (default 3600)
  --auth-limit <n>       password and code grants per username per hour (default 5)
  --redirect-uri <url>   a registered callback URL; repeatable (default: any loopback URL)
  --verbose              log every request (never tokens or passwords)
  --help                 show this help
`;

/** What the command line asks for. */
export type CliCommand =
  | { kind: 'help' }
  | { kind: 'run'; port: number; host: string; verbose: boolean; options: ActOnEmulatorOptions };

/** A command-line mistake; the CLI prints the message and exits with status 2. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

function integer(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new CliUsageError(`${flag} needs an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

function parseUser(spec: string): EmulatorUser {
  // Split at the first colon: usernames are e-mail addresses, passwords may contain colons.
  const colon = spec.indexOf(':');
  if (colon <= 0 || colon === spec.length - 1) {
    throw new CliUsageError(
      `--user needs name:password, got ${JSON.stringify(spec.slice(0, colon < 0 ? 40 : colon))}`,
    );
  }
  return { username: spec.slice(0, colon), password: spec.slice(colon + 1) };
}

/** Parses `acton-emulator`'s arguments (without `node` and the script). */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'client-id': { type: 'string' },
        'client-secret': { type: 'string' },
        user: { type: 'string', multiple: true },
        'token-ttl': { type: 'string' },
        'auth-limit': { type: 'string' },
        'redirect-uri': { type: 'string', multiple: true },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new CliUsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) return { kind: 'help' };
  for (const [flag, value] of [
    ['--host', values.host],
    ['--client-id', values['client-id']],
    ['--client-secret', values['client-secret']],
  ] as const) {
    if (value === '') throw new CliUsageError(`${flag} must not be empty`);
  }
  const options: ActOnEmulatorOptions = {};
  if (values['client-id'] !== undefined) options.clientId = values['client-id'];
  if (values['client-secret'] !== undefined) options.clientSecret = values['client-secret'];
  if (values.user !== undefined) {
    options.users = values.user.map(parseUser);
    const names = options.users.map((u) => u.username);
    const duplicate = names.find((name, i) => names.indexOf(name) !== i);
    if (duplicate !== undefined) throw new CliUsageError(`--user ${duplicate} is given twice`);
  }
  const tokenTtl = integer('--token-ttl', values['token-ttl'], 1, 10 * 365 * 24 * 3600);
  if (tokenTtl !== undefined) options.tokenTtlSec = tokenTtl;
  const authLimit = integer('--auth-limit', values['auth-limit'], 0, 1_000_000);
  if (authLimit !== undefined) options.authLimitPerHour = authLimit;
  if (values['redirect-uri'] !== undefined) {
    for (const uri of values['redirect-uri']) {
      if (!URL.canParse(uri) || uri.includes('#')) {
        throw new CliUsageError(
          `--redirect-uri needs an absolute URL without fragment, got ${JSON.stringify(uri)}`,
        );
      }
    }
    options.redirectUris = values['redirect-uri'];
  }
  return {
    kind: 'run',
    port: integer('--port', values.port, 0, 65535) ?? 4010,
    host: values.host ?? '127.0.0.1',
    verbose: values.verbose === true,
    options,
  };
}
