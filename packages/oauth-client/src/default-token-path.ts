import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import path from 'node:path';

/** Where {@link defaultTokenPath} looks; injectable so every platform's rule can be tested anywhere. */
export interface DefaultTokenPathEnvironment {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly platform?: NodeJS.Platform;
  readonly homedir?: string;
}

/**
 * The token file `FileTokenStore` uses when none is configured, in a per-user data directory:
 *
 * - `$ACTON_TOKEN_FILE` if set (resolved against the working directory);
 * - Linux and others: `$XDG_DATA_HOME/acton-auth` (only if absolute, as the XDG spec demands) or
 *   `~/.local/share/acton-auth`;
 * - macOS: `~/Library/Application Support/acton-auth`;
 * - Windows: `%LOCALAPPDATA%\acton-auth` (or `~\AppData\Local\acton-auth`).
 *
 * The file name is `tokens-<first 12 hex of sha256(clientId + ' ' + baseUrl)>.json`: integrations with
 * another client id or another Act-On region never share a file, and the name reveals no secret. Trailing
 * slashes of `baseUrl` are dropped first, so `https://x/` and `https://x` (the same Act-On) share one file:
 * two files for one client and username would mean two token pairs killing each other.
 */
export function defaultTokenPath(
  clientId: string,
  baseUrl: string,
  environment: DefaultTokenPathEnvironment = {},
): string {
  const env = environment.env ?? process.env;
  const platform = environment.platform ?? process.platform;
  const p = platform === 'win32' ? path.win32 : path.posix;
  const explicit = stringOrUndefined(env.ACTON_TOKEN_FILE);
  if (explicit !== undefined && explicit.trim() !== '') {
    return platform === process.platform ? path.resolve(explicit) : explicit;
  }
  const home = environment.homedir ?? homedir();
  const digest = createHash('sha256')
    .update(`${clientId} ${baseUrl.replace(/\/+$/, '')}`, 'utf8')
    .digest('hex')
    .slice(0, 12);
  return p.join(dataDirectory(platform, env, home, p), 'acton-auth', `tokens-${digest}.json`);
}

function dataDirectory(
  platform: NodeJS.Platform,
  env: Readonly<Record<string, string | undefined>>,
  home: string,
  p: path.PlatformPath,
): string {
  if (platform === 'win32') {
    const local = stringOrUndefined(env.LOCALAPPDATA);
    return local !== undefined && p.isAbsolute(local) ? local : p.join(home, 'AppData', 'Local');
  }
  if (platform === 'darwin') return p.join(home, 'Library', 'Application Support');
  const xdg = stringOrUndefined(env.XDG_DATA_HOME);
  return xdg !== undefined && p.isAbsolute(xdg) ? xdg : p.join(home, '.local', 'share');
}

/** An environment handed in as an object may hold anything; only strings count as set. */
function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
