import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorContext } from './emulator-context';
import { sendJson, sendRestError } from './responses';

const ACCOUNT_PATH = '/api/1/account';

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * `/api/1/*`: the gateway checks the bearer token first, then the per-account rate limit, then whether the
 * account may use the API at all, as Act-On's gateway answers in that order. Only `/api/1/account` exists.
 */
export function handleApi(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): void {
  const isAccount = path === ACCOUNT_PATH;
  if (isAccount && req.method === 'GET') ctx.stats.accountRequests++;

  const token = bearerToken(req.headers.authorization);
  const check = token === undefined ? undefined : ctx.tokens.checkAccessToken(token, ctx.clock.now());
  const user = check?.ok === true ? ctx.users.get(check.username) : undefined;
  if (user === undefined) {
    ctx.stats.unauthorizedApiRequests++;
    sendRestError(res, 401, '', { 'WWW-Authenticate': 'Bearer realm="Act-On"' });
    return;
  }
  ctx.annotate(res, `user=${user.username}`);

  if (
    ctx.apiLimiter !== undefined &&
    ctx.apiLimiter.tryRecord(user.username, ctx.clock.now()) !== undefined
  ) {
    ctx.stats.rateLimitedApiRequests++;
    sendRestError(res, 429, `Rate limit of ${ctx.options.apiRateLimitPerSecond} calls per second exceeded`);
    return;
  }
  if (!user.apiEnabled) {
    sendRestError(res, 403, 'PUBLIC_API_FEATURE_NOT_ENABLED');
    return;
  }
  if (!isAccount) {
    sendRestError(res, 404, 'The emulator implements GET /api/1/account only');
    return;
  }
  if (req.method !== 'GET') {
    sendRestError(res, 405, 'Use GET', { Allow: 'GET' });
    return;
  }
  sendJson(res, 200, user.account);
}
