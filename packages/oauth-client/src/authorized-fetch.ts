import type { FetchFunction } from './client-options';
import { ActOnConfigurationError } from './errors';
import { toNetworkError } from './http-failure';

/** Where and how {@link authorizedFetch} sends requests. */
export interface ActOnFetchOptions {
  readonly baseUrl: string;
  readonly fetch: FetchFunction;
  /** Deadline of one request unless the caller passes its own `signal`. */
  readonly timeoutMs: number;
}

/** An access token with the version of the pair it belongs to. */
export interface TokenGeneration {
  readonly token: string;
  readonly version: number;
}

/** How {@link authorizedFetch} gets tokens: the current one, and a newer one after a 401 on `version`. */
export interface TokenSupplier {
  current(): Promise<TokenGeneration>;
  afterUnauthorized(version: number): Promise<TokenGeneration>;
}

/**
 * Resolves `pathOrUrl` against the base URL and refuses any other origin: the bearer token must never leave
 * for a host that is not Act-On. The message names the origins only (a query string may hold secrets).
 */
export function resolveApiUrl(baseUrl: string, pathOrUrl: string | URL): URL {
  const base = new URL(`${baseUrl}/`);
  let url: URL;
  try {
    url =
      pathOrUrl instanceof URL || /^[a-z][a-z0-9+.-]*:/i.test(pathOrUrl)
        ? new URL(pathOrUrl)
        : new URL(String(pathOrUrl).replace(/^\/+/, ''), base);
  } catch {
    throw new ActOnConfigurationError(
      'url',
      'fetch() needs a path such as /api/1/account or an absolute Act-On URL',
    );
  }
  if (url.origin !== base.origin) {
    throw new ActOnConfigurationError(
      'url',
      `fetch() only sends the Act-On token to ${base.origin}; refusing a request to ${url.origin}`,
    );
  }
  return url;
}

/**
 * Sends an authorized request; on a 401 asks for a newer token generation once and resends the same body.
 * Streamed bodies are buffered first so the resend is possible.
 */
export async function authorizedFetch(
  options: ActOnFetchOptions,
  pathOrUrl: string | URL,
  init: RequestInit,
  tokens: TokenSupplier,
): Promise<Response> {
  const url = resolveApiUrl(options.baseUrl, pathOrUrl);
  const body = await resendableBody(init.body);
  const { duplex: _duplex, ...rest } = init as RequestInit & { duplex?: string };

  const send = async (generation: TokenGeneration): Promise<Response> => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${generation.token}`);
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    try {
      return await options.fetch(url, { ...rest, headers, body, signal });
    } catch (error) {
      // The caller's own abort is theirs to handle, untouched.
      if (init.signal?.aborted) throw error;
      throw toNetworkError(error, timeout, options.timeoutMs, "Act-On's API");
    }
  };

  const first = await tokens.current();
  const response = await send(first);
  if (response.status !== 401) return response;
  await response.body?.cancel().catch(() => undefined);
  return send(await tokens.afterUnauthorized(first.version));
}

async function resendableBody(body: RequestInit['body']): Promise<RequestInit['body']> {
  if (body === null || body === undefined || typeof body !== 'object' || !(Symbol.asyncIterator in body)) {
    return body;
  }
  const chunks: Uint8Array[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  return Buffer.concat(chunks);
}
