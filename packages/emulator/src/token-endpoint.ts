import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorContext } from './emulator-context';
import type { GrantType } from './faults';
import { checkFormContentType, parseFormUrlEncoded, type FormParams } from './form-encoding';
import { closeAfterResponse, MAX_BODY_BYTES, readBody } from './http-body';
import { sendConfigured, sendJson, sendOAuthError } from './responses';
import { safeEqual } from './safe-equal';
import type { RefreshRejection } from './token-registry';
import { userStats } from './stats';

const GRANT_TYPES: ReadonlySet<string> = new Set<GrantType>([
  'password',
  'authorization_code',
  'refresh_token',
]);

function asGrantType(value: string | undefined): GrantType | undefined {
  return value !== undefined && GRANT_TYPES.has(value) ? (value as GrantType) : undefined;
}

function isIdentityEncoding(header: string | undefined): boolean {
  return header === undefined || header.trim() === '' || header.trim().toLowerCase() === 'identity';
}

/** Answers 400 `invalid_request` naming the first missing field; true when all are present. */
function requireFields(res: ServerResponse, params: FormParams, names: readonly string[]): boolean {
  const missing = names.find((name) => (params.get(name) ?? '') === '');
  if (missing === undefined) return true;
  sendOAuthError(res, 400, 'invalid_request', `Missing parameter: ${missing}`);
  return false;
}

function unauthorized(res: ServerResponse): void {
  sendOAuthError(res, 401, 'access_denied', 'Unauthorized');
}

function invalidGrant(ctx: EmulatorContext, res: ServerResponse, description: string): void {
  ctx.stats.invalidGrants++;
  sendOAuthError(res, 400, 'invalid_grant', description);
}

function rejectForBudget(ctx: EmulatorContext, res: ServerResponse): void {
  ctx.stats.budgetRejections++;
  const { status, body, headers } = ctx.options.authLimitResponse;
  sendConfigured(res, status, body, headers);
}

/** Issues the pair, then either answers or, when a rotate-then-drop fault hits, drops the connection. */
function respondWithNewPair(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  username: string,
  grantType: GrantType,
): void {
  const body = ctx.issuePair(username);
  if (ctx.faults.dropAfterIssue('/token', grantType)) {
    ctx.stats.faults.rotateThenDrop++;
    ctx.annotate(res, 'fault=rotate-then-drop');
    req.socket.destroy();
    return;
  }
  sendJson(res, 200, body);
}

function passwordGrant(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  params: FormParams,
): void {
  if (!requireFields(res, params, ['username', 'password'])) return;
  const username = params.get('username') as string;
  const password = params.get('password') as string;
  ctx.annotate(res, `user=${username}`);
  const perUser = userStats(ctx.stats, username);
  if (perUser !== undefined) perUser.passwordGrants++;
  if (!ctx.budget.tryConsume(username, ctx.clock.now()).allowed) {
    rejectForBudget(ctx, res);
    return;
  }
  const user = ctx.users.get(username);
  // Compare even for unknown users so a wrong username costs the same time as a wrong password.
  const passwordMatches = safeEqual(password, user?.password ?? '');
  if (user === undefined || !passwordMatches) {
    unauthorized(res);
    return;
  }
  respondWithNewPair(ctx, req, res, username, 'password');
}

function codeGrant(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  params: FormParams,
  clientId: string,
): void {
  if (!ctx.options.codeGrantEnabled) {
    sendOAuthError(
      res,
      400,
      'unauthorized_client',
      'The authorization code grant is not enabled for this client',
    );
    return;
  }
  // redirect_uri is "obsoleted but required" at Act-On: a client that leaves it out fails there, so here too.
  if (!requireFields(res, params, ['code', 'redirect_uri'])) return;
  const code = params.get('code') as string;
  const lookup = ctx.codes.lookup(code, ctx.clock.now());
  if (!lookup.ok) {
    const why = {
      unknown: 'Invalid authorization code',
      used: 'Authorization code has already been used',
      expired: 'Authorization code has expired',
    }[lookup.reason];
    invalidGrant(ctx, res, why);
    return;
  }
  const { username } = lookup.binding;
  ctx.annotate(res, `user=${username}`);
  const perUser = userStats(ctx.stats, username);
  if (perUser !== undefined) perUser.codeGrants++;
  // The budget is checked before the code is spent: a rejected attempt leaves the code usable later.
  if (!ctx.budget.tryConsume(username, ctx.clock.now()).allowed) {
    rejectForBudget(ctx, res);
    return;
  }
  ctx.codes.spend(code);
  if (lookup.binding.clientId !== clientId) {
    invalidGrant(ctx, res, 'Authorization code was issued to another client');
    return;
  }
  if (lookup.binding.redirectUri !== params.get('redirect_uri')) {
    invalidGrant(ctx, res, 'redirect_uri does not match the authorization request');
    return;
  }
  if (!ctx.users.has(username)) {
    invalidGrant(ctx, res, 'Invalid authorization code');
    return;
  }
  respondWithNewPair(ctx, req, res, username, 'authorization_code');
}

const REFRESH_REJECTIONS: Record<RefreshRejection, string> = {
  unknown: 'Invalid refresh token',
  'wrong-client': 'Refresh token was issued to another client',
  reused: 'Refresh token has already been used',
  superseded: 'Refresh token was revoked: a newer token pair was issued for this client and username',
  expired: 'Refresh token has expired',
};

function refreshGrant(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  params: FormParams,
  clientId: string,
): void {
  if (!requireFields(res, params, ['refresh_token'])) return;
  const redemption = ctx.tokens.redeemRefreshToken(
    params.get('refresh_token') as string,
    clientId,
    ctx.clock.now(),
  );
  const username = redemption.username;
  if (username !== undefined) {
    ctx.annotate(res, `user=${username}`);
    const perUser = userStats(ctx.stats, username);
    if (perUser !== undefined) perUser.refreshGrants++;
  }
  if (!redemption.ok) {
    if (redemption.reason === 'reused') ctx.stats.reuseAttempts++;
    if (redemption.reason === 'superseded') ctx.stats.supersededAttempts++;
    if (redemption.reason === 'expired') ctx.stats.expiredRefreshAttempts++;
    invalidGrant(ctx, res, REFRESH_REJECTIONS[redemption.reason]);
    return;
  }
  respondWithNewPair(ctx, req, res, redemption.username, 'refresh_token');
}

/**
 * `POST /token`: the three grants of Act-On, with its rules. The order of checks decides what a bad request
 * costs: nothing is spent before the request is well-formed and the client authenticated, and the auth budget
 * is charged before credentials are looked at.
 */
export async function handleToken(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  ctx.stats.tokenRequests++;
  if (req.method !== 'POST') {
    sendOAuthError(res, 405, 'invalid_request', 'The token endpoint only accepts POST', { Allow: 'POST' });
    return;
  }
  const read = await readBody(req);
  if (read.kind === 'aborted') return;
  if (read.kind === 'too-large') {
    closeAfterResponse(res);
    sendOAuthError(res, 413, 'invalid_request', `Request body larger than ${MAX_BODY_BYTES} bytes`);
    return;
  }
  const contentType = checkFormContentType(req.headers['content-type']);
  const encodingOk = isIdentityEncoding(req.headers['content-encoding']);
  const form = contentType.ok && encodingOk ? parseFormUrlEncoded(read.body) : undefined;
  const params = form?.ok ? form.params : undefined;
  const grantType = asGrantType(params?.get('grant_type'));
  if (grantType !== undefined) ctx.annotate(res, `grant=${grantType}`);
  if (!(await ctx.applyFaults(req, res, '/token', grantType))) return;

  if (!contentType.ok) return sendOAuthError(res, 400, 'invalid_request', contentType.error);
  if (!encodingOk) return sendOAuthError(res, 400, 'invalid_request', 'Content-Encoding is not supported');
  if (form === undefined || !form.ok || params === undefined) {
    return sendOAuthError(
      res,
      400,
      'invalid_request',
      form?.ok === false ? form.error : 'Malformed request body',
    );
  }
  if (grantType !== undefined) ctx.stats.grants[grantType]++;
  if (!requireFields(res, params, ['grant_type'])) return;

  const clientId = params.get('client_id');
  const clientSecret = params.get('client_secret');
  if (clientId === undefined || clientSecret === undefined) {
    // Act-On reads client credentials from the body only; Basic auth alone is an unauthenticated client.
    if (/^basic\s/i.test(req.headers.authorization ?? '')) return unauthorized(res);
    return void requireFields(res, params, ['client_id', 'client_secret']);
  }
  const idMatches = safeEqual(clientId, ctx.options.clientId);
  const secretMatches = safeEqual(clientSecret, ctx.options.clientSecret);
  if (!idMatches || !secretMatches) return unauthorized(res);

  switch (grantType) {
    case 'password':
      return passwordGrant(ctx, req, res, params);
    case 'authorization_code':
      return codeGrant(ctx, req, res, params, clientId);
    case 'refresh_token':
      return refreshGrant(ctx, req, res, params, clientId);
    default:
      return sendOAuthError(
        res,
        400,
        'unsupported_grant_type',
        'Supported grant types: password, authorization_code, refresh_token',
      );
  }
}
