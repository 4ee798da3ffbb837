import type { IncomingMessage, ServerResponse } from 'node:http';
import { renderErrorPage, renderLoginPage, type LoginPageModel } from './authorize-page';
import type { EmulatorContext } from './emulator-context';
import { checkFormContentType, parseFormUrlEncoded, type FormParams } from './form-encoding';
import { closeAfterResponse, MAX_BODY_BYTES, readBody } from './http-body';
import { EMULATOR_DEFAULTS } from './options';
import { appendQuery, isAllowedRedirectUri } from './redirect-uri';
import { sendHtml, sendRedirect } from './responses';
import { safeEqual } from './safe-equal';

type ValidRequest = {
  ok: true;
  clientId: string;
  redirectUri: string;
  state: string | undefined;
  scope: string;
};

/**
 * Checks what must hold before anything may be redirected. Every failure is a page, never a redirect: sending
 * an error to an unverified redirect_uri would make the emulator an open redirector.
 */
function validate(ctx: EmulatorContext, params: FormParams): ValidRequest | { ok: false; message: string } {
  const clientId = params.get('client_id');
  if (clientId === undefined || clientId === '') return { ok: false, message: 'Missing client_id.' };
  if (clientId !== ctx.options.clientId) return { ok: false, message: 'Unknown client_id.' };
  if (!ctx.options.codeGrantEnabled) {
    return { ok: false, message: 'The authorization code grant is not enabled for this application.' };
  }
  const redirectUri = params.get('redirect_uri');
  if (redirectUri === undefined || redirectUri === '') return { ok: false, message: 'Missing redirect_uri.' };
  if (!isAllowedRedirectUri(redirectUri, ctx.options.redirectUris)) {
    return { ok: false, message: 'redirect_uri is not registered for this application.' };
  }
  const scope = params.get('scope') || 'PRODUCTION';
  return { ok: true, clientId, redirectUri, state: params.get('state'), scope };
}

function errorPage(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendHtml(res, status, renderErrorPage(message), headers);
}

function loginPage(
  ctx: EmulatorContext,
  res: ServerResponse,
  request: ValidRequest,
  extra: Partial<LoginPageModel>,
): void {
  const onlyDemoUser =
    ctx.options.users.length === 1 &&
    ctx.options.users[0]?.username === EMULATOR_DEFAULTS.username &&
    ctx.options.users[0]?.password === EMULATOR_DEFAULTS.password;
  sendHtml(
    res,
    200,
    renderLoginPage({
      clientId: request.clientId,
      redirectUri: request.redirectUri,
      state: request.state,
      scope: request.scope,
      ...(onlyDemoUser
        ? { demoHint: { username: EMULATOR_DEFAULTS.username, password: EMULATOR_DEFAULTS.password } }
        : {}),
      ...extra,
    }),
  );
}

function withState(request: ValidRequest, params: Array<[string, string]>): Array<[string, string]> {
  return request.state === undefined ? params : [...params, ['state', request.state]];
}

function showLoginPage(ctx: EmulatorContext, res: ServerResponse, query: string): void {
  const parsed = parseFormUrlEncoded(query);
  if (!parsed.ok) return errorPage(res, 400, parsed.error);
  const request = validate(ctx, parsed.params);
  if (!request.ok) return errorPage(res, 400, request.message);
  if (parsed.params.get('response_type') !== 'code')
    return errorPage(res, 400, 'response_type must be code.');
  loginPage(ctx, res, request, {});
}

async function submitLogin(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const read = await readBody(req);
  if (read.kind === 'aborted') return;
  if (read.kind === 'too-large') {
    closeAfterResponse(res);
    return errorPage(res, 413, `Request body larger than ${MAX_BODY_BYTES} bytes.`);
  }
  const contentType = checkFormContentType(req.headers['content-type']);
  if (!contentType.ok) return errorPage(res, 400, contentType.error);
  const parsed = parseFormUrlEncoded(read.body);
  if (!parsed.ok) return errorPage(res, 400, parsed.error);
  const params = parsed.params;
  const request = validate(ctx, params);
  if (!request.ok) return errorPage(res, 400, request.message);

  const action = params.get('action') ?? 'authorize';
  if (action === 'deny') {
    const target = appendQuery(
      request.redirectUri,
      withState(request, [
        ['error', 'access_denied'],
        ['error_description', 'The user denied the authorization request'],
      ]),
    );
    return sendRedirect(res, target);
  }
  if (action !== 'authorize') return errorPage(res, 400, 'Unknown action.');

  // Login-page failures are not token grants: Act-On's budget counts grants, so these cost nothing.
  const username = params.get('username') ?? '';
  const user = ctx.users.get(username);
  const passwordMatches = safeEqual(params.get('password') ?? '', user?.password ?? '');
  if (user === undefined || !passwordMatches) {
    return loginPage(ctx, res, request, { username, error: 'Invalid username or password' });
  }
  ctx.annotate(res, `user=${username}`);
  const code = ctx.codes.issue(
    { clientId: request.clientId, redirectUri: request.redirectUri, username },
    ctx.clock.now(),
  );
  sendRedirect(res, appendQuery(request.redirectUri, withState(request, [['code', code]])));
}

/** `/authorize`: `GET` shows Act-On's login and consent page, `POST` handles its form. */
export async function handleAuthorize(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  query: string,
): Promise<void> {
  ctx.stats.authorizeRequests++;
  if (req.method === 'GET') return showLoginPage(ctx, res, query);
  if (req.method === 'POST') return submitLogin(ctx, req, res);
  errorPage(res, 405, 'Use GET to show the login page or POST to submit it.', { Allow: 'GET, POST' });
}
