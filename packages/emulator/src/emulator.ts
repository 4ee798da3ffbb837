import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { handleApi } from './account-api';
import { AuthBudget } from './auth-budget';
import { handleAuthorize } from './authorize-endpoint';
import { createSystemClock, type EmulatorClock } from './clock';
import { CodeRegistry } from './code-registry';
import { Delays } from './delays';
import type { EmulatorContext } from './emulator-context';
import { FaultInjector, type FaultOptions, type GrantType, type OneShotFault } from './faults';
import {
  resolveOptions,
  type ActOnEmulatorOptions,
  type ResolvedOptions,
  type ResolvedUser,
} from './options';
import { sendJson, sendOAuthError } from './responses';
import { SlidingWindow } from './sliding-window';
import { createStats, userStats, type EmulatorStats } from './stats';
import { handleToken } from './token-endpoint';
import { TokenRegistry } from './token-registry';
import { toTokenResponse, type TokenResponseBody } from './token-response';

/** A running (or ready to run) local Act-On. */
export interface ActOnEmulator {
  /** `http://127.0.0.1:PORT`, no trailing slash. Throws before `listen()` has resolved and after `close()`. */
  readonly url: string;
  /** The underlying HTTP server. */
  readonly server: Server;
  /** The clock behind every expiry and window; `clock.advance(ms)` expires tokens without sleeping. */
  readonly clock: EmulatorClock;
  /** Options after defaults. */
  readonly options: Readonly<ResolvedOptions>;
  /** Starts listening; resolves the URL. Port default 0 (any free port), host default `127.0.0.1`. */
  listen(port?: number, host?: string): Promise<string>;
  /** Stops listening and closes every connection, idle or not. */
  close(): Promise<void>;
  /** A snapshot copy of the counters. */
  stats(): EmulatorStats;
  /** Forgets tokens, codes, budgets, rate windows, stats and queued one-shot faults. */
  reset(): void;
  /** Replaces the random faults (`undefined` turns them off) and restarts their PRNG from the seed. */
  setFaults(faults: FaultOptions | undefined): void;
  /** Queues a one-shot fault for the next matching request(s). */
  injectFault(fault: OneShotFault): void;
  /**
   * Issues a pair for a configured user as if a password grant happened (older pairs die), without HTTP and
   * without touching the auth budget. Throws for an unknown username.
   */
  issueTokens(username: string): TokenResponseBody;
}

const MAX_LOGGED_PATH = 120;

/** Paths and methods come from the network; keep log lines short and printable. */
function printable(text: string, max: number): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}

function splitTarget(target: string): { path: string; query: string } | undefined {
  let pathAndQuery = target;
  if (!target.startsWith('/')) {
    // Absolute-form targets ("POST http://host/token") are legal HTTP; anything else is not a path.
    try {
      const url = new URL(target);
      pathAndQuery = `${url.pathname}${url.search}`;
    } catch {
      return undefined;
    }
  }
  const q = pathAndQuery.indexOf('?');
  return q < 0
    ? { path: pathAndQuery, query: '' }
    : { path: pathAndQuery.slice(0, q), query: pathAndQuery.slice(q + 1) };
}

function formatUrl(address: AddressInfo): string {
  const host =
    address.address === '0.0.0.0'
      ? '127.0.0.1'
      : address.address === '::'
        ? '[::1]'
        : address.family === 'IPv6'
          ? `[${address.address}]`
          : address.address;
  return `http://${host}:${address.port}`;
}

/**
 * Creates an emulator without starting it. Call `listen()` (or use {@link startActOnEmulator}).
 *
 * @throws TypeError or RangeError naming the option when an option is invalid
 */
export function createActOnEmulator(options: ActOnEmulatorOptions = {}): ActOnEmulator {
  const resolved = resolveOptions(options);
  const clock = options.clock ?? createSystemClock();
  const logger = options.logger;
  const users = new Map<string, ResolvedUser>(resolved.users.map((u) => [u.username, u]));
  const stats = createStats(resolved.users.map((u) => u.username));
  const tokens = new TokenRegistry({
    accessTtlMs: resolved.tokenTtlSec * 1000,
    refreshTtlMs: resolved.refreshTokenTtlSec * 1000,
    revokeAccessTokensOnReissue: resolved.revokeAccessTokensOnReissue,
  });
  const codes = new CodeRegistry(resolved.codeTtlSec * 1000);
  const budget = new AuthBudget(resolved.authLimitPerHour);
  const apiLimiter =
    resolved.apiRateLimitPerSecond === undefined
      ? undefined
      : new SlidingWindow(resolved.apiRateLimitPerSecond, 1000);
  const faults = new FaultInjector(options.faults);
  const delays = new Delays();
  const logDetail = new WeakMap<ServerResponse, string[]>();
  let url: string | undefined;

  const log = (line: string): void => {
    if (logger === undefined) return;
    try {
      logger(line);
    } catch {
      // A broken logger must not take the emulator down with it.
    }
  };

  const issuePair = (username: string): TokenResponseBody => {
    const pair = tokens.issue(resolved.clientId, username, clock.now());
    stats.tokensIssued++;
    const perUser = userStats(stats, username);
    if (perUser !== undefined) perUser.tokensIssued++;
    return toTokenResponse(pair, resolved.scope, resolved.tokenTtlSec);
  };

  const ctx: EmulatorContext = {
    options: resolved,
    clock,
    users,
    tokens,
    codes,
    budget,
    apiLimiter,
    faults,
    stats,
    issuePair,
    annotate(res: ServerResponse, detail: string): void {
      const details = logDetail.get(res) ?? [];
      details.push(printable(detail, 200));
      logDetail.set(res, details);
    },
    async applyFaults(
      req: IncomingMessage,
      res: ServerResponse,
      path: string,
      grantType: GrantType | undefined,
    ): Promise<boolean> {
      const decision = faults.decide(path, grantType);
      if (decision.latencyMs > 0) {
        stats.faults.latency++;
        ctx.annotate(res, `fault=latency(${decision.latencyMs}ms)`);
        await delays.wait(decision.latencyMs);
        if (req.socket.destroyed) return false;
      }
      if (decision.action === 'error') {
        stats.faults.error++;
        ctx.annotate(res, 'fault=error');
        sendOAuthError(res, decision.status, 'server_error', 'Injected fault');
        return false;
      }
      if (decision.action === 'drop') {
        stats.faults.drop++;
        ctx.annotate(res, 'fault=drop');
        req.socket.destroy();
        return false;
      }
      return true;
    },
  };

  const route = async (
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: string,
  ): Promise<void> => {
    if (path === '/token') return handleToken(ctx, req, res);
    if (!(await ctx.applyFaults(req, res, path, undefined))) return;
    if (path === '/authorize') return handleAuthorize(ctx, req, res, query);
    if (path === '/api/1' || path.startsWith('/api/1/')) return handleApi(ctx, req, res, path);
    if (path === '/' && req.method === 'GET') {
      return sendJson(res, 200, {
        name: 'Act-On emulator',
        endpoints: ['GET /authorize', 'POST /authorize', 'POST /token', 'GET /api/1/account'],
      });
    }
    sendJson(res, 404, { error: 'not_found', error_description: 'No such endpoint' });
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const started = Date.now();
    const method = printable(req.method ?? '?', 16);
    const target = splitTarget(req.url ?? '');
    const loggedPath = printable(target?.path ?? '?', MAX_LOGGED_PATH);
    res.once('close', () => {
      const outcome = res.writableFinished ? String(res.statusCode) : 'dropped';
      const details = logDetail.get(res) ?? [];
      log(
        `${method} ${loggedPath} ${outcome} ${Date.now() - started}ms${details.map((d) => ` ${d}`).join('')}`,
      );
    });
    const handled =
      target === undefined
        ? Promise.resolve(
            sendJson(res, 400, { error: 'invalid_request', error_description: 'Bad request target' }),
          )
        : route(req, res, target.path, target.query);
    handled.catch((error: unknown) => {
      log(`internal error: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) {
        sendOAuthError(res, 500, 'server_error', 'Internal emulator error');
      } else {
        req.socket.destroy();
      }
    });
  };

  const server = createServer(onRequest);
  server.on('clientError', (_error: Error, socket: Duplex) => {
    // Malformed HTTP never reaches a handler; answer like Node would, without the default's stack noise.
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    socket.destroy();
  });

  const emulator: ActOnEmulator = {
    get url(): string {
      if (url === undefined) {
        throw new Error('ActOnEmulator.url is only available while listening: await emulator.listen() first');
      }
      return url;
    },
    server,
    clock,
    options: resolved,
    listen(port = 0, host = '127.0.0.1'): Promise<string> {
      if (server.listening) return Promise.reject(new Error('ActOnEmulator is already listening'));
      return new Promise((resolve, reject) => {
        const onError = (error: Error): void => reject(error);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          url = formatUrl(server.address() as AddressInfo);
          resolve(url);
        });
      });
    },
    close(): Promise<void> {
      url = undefined;
      delays.cancelAll();
      if (!server.listening) return Promise.resolve();
      return new Promise((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      });
    },
    stats: () => structuredClone(stats),
    reset(): void {
      tokens.reset();
      codes.reset();
      budget.reset();
      apiLimiter?.clear();
      faults.clearQueue();
      Object.assign(stats, createStats(resolved.users.map((u) => u.username)));
    },
    setFaults: (next) => faults.configure(next),
    injectFault: (fault) => faults.enqueue(fault),
    issueTokens(username: string): TokenResponseBody {
      if (!users.has(username))
        throw new Error(`issueTokens: ${JSON.stringify(username)} is not a configured user`);
      return issuePair(username);
    },
  };
  return emulator;
}

/**
 * Creates an emulator and starts listening (default `127.0.0.1`, any free port).
 *
 * @example
 * const emulator = await startActOnEmulator();
 * // emulator.url → 'http://127.0.0.1:53127'
 */
export async function startActOnEmulator(
  options: ActOnEmulatorOptions & { port?: number; host?: string } = {},
): Promise<ActOnEmulator> {
  const { port, host, ...rest } = options;
  const emulator = createActOnEmulator(rest);
  await emulator.listen(port, host);
  return emulator;
}
