import {
  EMULATOR_DEFAULTS,
  startActOnEmulator,
  type ActOnEmulator,
  type ActOnEmulatorOptions,
  type TokenResponseBody,
} from '@acton/emulator';

/** Starts emulators on a free port and closes every one of them after each test. */
export function emulatorFactory(): (options?: ActOnEmulatorOptions) => Promise<ActOnEmulator> {
  const started: ActOnEmulator[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((emulator) => emulator.close()));
  });
  return async (options) => {
    const emulator = await startActOnEmulator(options);
    started.push(emulator);
    return emulator;
  };
}

export const FORM = 'application/x-www-form-urlencoded';

export const CLIENT = {
  client_id: EMULATOR_DEFAULTS.clientId,
  client_secret: EMULATOR_DEFAULTS.clientSecret,
};

export function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

/** A response read once: status, headers and the parsed JSON (or raw text when it is not JSON). */
export interface Reply<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export async function read<T = unknown>(response: Response): Promise<Reply<T>> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: keep the text.
  }
  return { status: response.status, headers: response.headers, body: body as T, text };
}

export async function postToken<T = unknown>(
  emulator: ActOnEmulator,
  fields: Record<string, string> | string,
  headers: Record<string, string> = {},
): Promise<Reply<T>> {
  const response = await fetch(`${emulator.url}/token`, {
    method: 'POST',
    headers: { 'Content-Type': FORM, ...headers },
    body: typeof fields === 'string' ? fields : form(fields),
  });
  return read<T>(response);
}

export function passwordGrant(
  emulator: ActOnEmulator,
  username: string = EMULATOR_DEFAULTS.username,
  password: string = EMULATOR_DEFAULTS.password,
): Promise<Reply<TokenResponseBody>> {
  return postToken<TokenResponseBody>(emulator, { grant_type: 'password', username, password, ...CLIENT });
}

export function refreshGrant(
  emulator: ActOnEmulator,
  refreshToken: string,
): Promise<Reply<TokenResponseBody>> {
  return postToken<TokenResponseBody>(emulator, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    ...CLIENT,
  });
}

export function codeGrant(
  emulator: ActOnEmulator,
  code: string,
  redirectUri: string,
): Promise<Reply<TokenResponseBody>> {
  return postToken<TokenResponseBody>(emulator, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    ...CLIENT,
  });
}

export async function getAccount(emulator: ActOnEmulator, accessToken: string | undefined): Promise<Reply> {
  const headers: Record<string, string> =
    accessToken === undefined ? {} : { Authorization: `Bearer ${accessToken}` };
  return read(await fetch(`${emulator.url}/api/1/account`, { headers }));
}

export const REDIRECT_URI = 'http://127.0.0.1:3000/callback';

/** Submits the login form as a browser would after the user typed the credentials; returns the raw response. */
export function submitLogin(emulator: ActOnEmulator, fields: Record<string, string>): Promise<Response> {
  return fetch(`${emulator.url}/authorize`, {
    method: 'POST',
    headers: { 'Content-Type': FORM },
    body: form(fields),
    redirect: 'manual',
  });
}

/** Runs the login page with the demo user and returns the code from the callback redirect. */
export async function obtainCode(
  emulator: ActOnEmulator,
  options: { redirectUri?: string; username?: string; password?: string; state?: string } = {},
): Promise<string> {
  const response = await submitLogin(emulator, {
    client_id: EMULATOR_DEFAULTS.clientId,
    redirect_uri: options.redirectUri ?? REDIRECT_URI,
    scope: 'PRODUCTION',
    ...(options.state === undefined ? {} : { state: options.state }),
    username: options.username ?? EMULATOR_DEFAULTS.username,
    password: options.password ?? EMULATOR_DEFAULTS.password,
    action: 'authorize',
  });
  const location = response.headers.get('location');
  if (response.status !== 302 || location === null) {
    throw new Error(`expected a redirect with a code, got ${response.status}`);
  }
  const code = new URL(location).searchParams.get('code');
  if (code === null) throw new Error('redirect without code');
  return code;
}

export const HOUR_MS = 60 * 60 * 1000;
