import { ActOnConfigurationError } from './errors';
import { describeValue } from './describe-value';

/** Act-On's data-centre regions. */
export type ActOnRegion = 'us' | 'eu';

/** Base URLs of Act-On's API gateways by region. */
export const ACTON_BASE_URLS: Readonly<Record<ActOnRegion, string>> = Object.freeze({
  us: 'https://api.actonsoftware.com',
  eu: 'https://api-eu.actonsoftware.com',
});

/** The `fetch` function the client uses; the global one by default. */
export type FetchFunction = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** Options of {@link ActOnOAuthClient}. */
export interface ActOnClientOptions {
  /** Your Act-On application's client id. */
  readonly clientId: string;
  /** Your Act-On application's client secret. Kept private; never printed. */
  readonly clientSecret: string;
  /** `'us'` (default) or `'eu'`. Ignored when `baseUrl` is set. */
  readonly region?: ActOnRegion;
  /** Overrides `region`, e.g. an emulator's URL. `https:` is required unless the host is loopback. */
  readonly baseUrl?: string;
  /** Hard deadline of one request to Act-On, in ms. Default 10,000. */
  readonly timeoutMs?: number;
  /** Injectable `fetch` (defaults to the global one). */
  readonly fetch?: FetchFunction;
  /** Clock for `obtainedAt`/`expiresAt` (epoch ms); `Date.now` by default. Tests pass an emulator's clock. */
  readonly now?: () => number;
}

/** Client options after validation and defaults. */
export interface ResolvedClientOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly fetch: FetchFunction;
  readonly now: () => number;
}

/** Default request deadline. */
export const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_TIMEOUT_MS = 10 * 60_000;

/** True for hosts that never leave the machine, where plain `http:` is acceptable. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Validates a base URL: absolute, https (or loopback http), no credentials, query or fragment. Returns it without a trailing slash. */
export function validateBaseUrl(value: unknown, option = 'baseUrl'): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ActOnConfigurationError(option, `${option} must be a non-empty URL string`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ActOnConfigurationError(option, `${option} is not a valid absolute URL`);
  }
  if (url.username || url.password) {
    throw new ActOnConfigurationError(option, `${option} must not contain credentials`);
  }
  if (url.search || url.hash) {
    throw new ActOnConfigurationError(option, `${option} must not contain a query string or fragment`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new ActOnConfigurationError(
      option,
      `${option} must use https: (plain http: is only allowed for loopback hosts such as 127.0.0.1), got ${url.protocol}//${url.host}`,
    );
  }
  return url.toString().replace(/\/+$/, '');
}

function requireNonEmptyString(value: unknown, option: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ActOnConfigurationError(option, `${option} is required and must be a non-empty string`);
  }
  return value;
}

/** Validates a positive duration option in ms. */
export function validateDurationMs(value: unknown, option: string, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
    throw new ActOnConfigurationError(
      option,
      `${option} must be a number of milliseconds between 1 and ${max}`,
    );
  }
  return value;
}

/** Validates client options once, at construction; every error names the option. */
export function resolveClientOptions(options: ActOnClientOptions | undefined): ResolvedClientOptions {
  if (options === null || typeof options !== 'object') {
    throw new ActOnConfigurationError('options', 'options must be an object with clientId and clientSecret');
  }
  const clientId = requireNonEmptyString(options.clientId, 'clientId');
  const clientSecret = requireNonEmptyString(options.clientSecret, 'clientSecret');
  let baseUrl: string;
  if (options.baseUrl !== undefined) {
    baseUrl = validateBaseUrl(options.baseUrl);
  } else {
    const region = options.region ?? 'us';
    if (region !== 'us' && region !== 'eu') {
      throw new ActOnConfigurationError(
        'region',
        `region must be 'us' or 'eu', got ${describeValue(region)}`,
      );
    }
    baseUrl = ACTON_BASE_URLS[region];
  }
  const timeoutMs =
    options.timeoutMs === undefined
      ? DEFAULT_TIMEOUT_MS
      : validateDurationMs(options.timeoutMs, 'timeoutMs', MAX_TIMEOUT_MS);
  const fetchFunction = options.fetch ?? globalThis.fetch;
  if (typeof fetchFunction !== 'function') {
    throw new ActOnConfigurationError('fetch', 'fetch must be a function (no global fetch is available)');
  }
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') {
    throw new ActOnConfigurationError('now', 'now must be a function returning epoch milliseconds');
  }
  return { clientId, clientSecret, baseUrl, timeoutMs, fetch: fetchFunction, now };
}
