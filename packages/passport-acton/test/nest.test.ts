import 'reflect-metadata';
import type { Server } from 'node:http';
import { EMULATOR_DEFAULTS, startActOnEmulator, type ActOnEmulator } from '@acton/emulator';
import { ActOnTokenManager, MemoryTokenStore, isTokenSet, type TokenSet } from '@acton/oauth-client';
import {
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  Req,
  UseGuards,
  type INestApplication,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuthGuard, PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import {
  ActOnStrategy,
  type ActOnProfile,
  type ActOnStrategyOptions,
  type ActOnTokenParams,
} from 'passport-acton';
import request from 'supertest';
import { authorizeAtActOn, cookieHeader, setCookies } from './helpers';

const OPTIONS = Symbol('ActOn strategy options');
const TOKEN_MANAGER = Symbol('ActOnTokenManager');

interface ValidateCall {
  readonly args: number;
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly profile: ActOnProfile;
}

const validateCalls: ValidateCall[] = [];
const paramsCalls: Array<{ params: ActOnTokenParams; profile: ActOnProfile }> = [];

/** The way a Nest app is expected to write it: validate(accessToken, refreshToken, profile). */
@Injectable()
class ActOnAuthStrategy extends PassportStrategy(ActOnStrategy) {
  constructor(
    @Inject(OPTIONS) options: ActOnStrategyOptions,
    @Inject(TOKEN_MANAGER) private readonly tokenManager: ActOnTokenManager,
  ) {
    super(options);
  }

  async validate(accessToken: string, refreshToken: string, profile: ActOnProfile): Promise<{ id: string }> {
    validateCalls.push({ args: arguments.length, accessToken, refreshToken, profile });
    // The hand-over the issue asks for: the TokenSet, expiry included, straight into the token manager.
    await this.tokenManager.saveTokens(profile.id, profile.tokens);
    return { id: profile.id };
  }
}

/** Zero-argument construction from ACTON_* inside Nest: @nestjs/passport then calls super(callback). */
@Injectable()
class ActOnEnvStrategy extends PassportStrategy(ActOnStrategy, 'acton-env') {
  constructor() {
    super();
  }

  validate(
    _accessToken: string,
    _refreshToken: string,
    profile: ActOnProfile,
  ): { id: string; expiresAt: number } {
    return { id: profile.id, expiresAt: profile.tokens.expiresAt };
  }
}

/** With @nestjs/passport's callbackArity, validate() receives passport-oauth2's params argument too. */
@Injectable()
class ActOnParamsStrategy extends PassportStrategy(ActOnStrategy, 'acton-params', true) {
  constructor(@Inject(OPTIONS) options: ActOnStrategyOptions) {
    super({ ...options, callbackURL: '/auth/acton-params/callback' });
  }

  validate(
    _accessToken: string,
    _refreshToken: string,
    params: ActOnTokenParams,
    profile: ActOnProfile,
  ): object {
    paramsCalls.push({ params, profile });
    return { id: profile.id, expiresIn: params.expires_in, expiresAt: params.tokens.expiresAt };
  }
}

type AuthedRequest = Request & { user?: Record<string, unknown> };

@Controller('auth')
class AuthController {
  @Get('acton')
  @UseGuards(AuthGuard('acton'))
  login(): void {}

  @Get('acton/callback')
  @UseGuards(AuthGuard('acton'))
  callback(@Req() req: AuthedRequest): unknown {
    return req.user;
  }

  @Get('acton-env')
  @UseGuards(AuthGuard('acton-env'))
  loginEnv(): void {}

  @Get('acton-env/callback')
  @UseGuards(AuthGuard('acton-env'))
  callbackEnv(@Req() req: AuthedRequest): unknown {
    return req.user;
  }

  @Get('acton-params')
  @UseGuards(AuthGuard('acton-params'))
  loginParams(): void {}

  @Get('acton-params/callback')
  @UseGuards(AuthGuard('acton-params'))
  callbackParams(@Req() req: AuthedRequest): unknown {
    return req.user;
  }
}

let emulator: ActOnEmulator;
let manager: ActOnTokenManager;
let app: INestApplication;
let server: Server;

beforeAll(async () => {
  emulator = await startActOnEmulator({ authLimitPerHour: 100 });
  manager = new ActOnTokenManager({
    clientId: EMULATOR_DEFAULTS.clientId,
    clientSecret: EMULATOR_DEFAULTS.clientSecret,
    baseUrl: emulator.url,
    store: new MemoryTokenStore(),
  });
  const options: ActOnStrategyOptions = {
    clientID: EMULATOR_DEFAULTS.clientId,
    clientSecret: EMULATOR_DEFAULTS.clientSecret,
    baseURL: emulator.url,
    // Relative: resolved against the request host, so the port need not be known when Nest builds providers.
    callbackURL: '/auth/acton/callback',
  };

  @Module({
    controllers: [AuthController],
    providers: [
      { provide: OPTIONS, useValue: options },
      { provide: TOKEN_MANAGER, useValue: manager },
      ActOnAuthStrategy,
      ActOnEnvStrategy,
      ActOnParamsStrategy,
    ],
  })
  class AppModule {}

  const env: Record<string, string> = {
    ACTON_CLIENT_ID: EMULATOR_DEFAULTS.clientId,
    ACTON_CLIENT_SECRET: EMULATOR_DEFAULTS.clientSecret,
    ACTON_BASE_URL: emulator.url,
    ACTON_CALLBACK_URL: '/auth/acton-env/callback',
  };
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, env);
  try {
    // Providers, and with them the strategies, are built here: the variables only need to exist until then.
    app = await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
  server = app.getHttpServer() as Server;
});

afterAll(async () => {
  await app?.close();
  await manager?.close();
  await emulator?.close();
});

/** login route → Act-On's form → callback, through the Nest app. */
async function nestLogin(prefix: string, options: { tamperState?: boolean } = {}): Promise<request.Response> {
  const start = await request(server).get(`/auth/${prefix}`);
  expect(start.status).toBe(302);
  const authorizeUrl = new URL(start.headers.location as string);
  const callbackUrl = await authorizeAtActOn(authorizeUrl);
  if (options.tamperState) callbackUrl.searchParams.set('state', 'forged-state');
  return request(server)
    .get(`${callbackUrl.pathname}${callbackUrl.search}`)
    .set('Cookie', cookieHeader(setCookies(start.headers)));
}

describe('inside NestJS through @nestjs/passport', () => {
  it('signs in with AuthGuard and hands validate() the TokenSet with its expiry', async () => {
    validateCalls.length = 0;
    const response = await nestLogin('acton');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ id: '10001' });

    expect(validateCalls).toHaveLength(1);
    const [call] = validateCalls as [ValidateCall];
    // @nestjs/passport's wrapper passes done as well; validate() declared three parameters.
    expect(call.args).toBe(4);
    expect(call.profile).toMatchObject({
      provider: 'acton',
      id: '10001',
      username: EMULATOR_DEFAULTS.username,
    });
    const tokens: TokenSet = call.profile.tokens;
    expect(isTokenSet(tokens)).toBe(true);
    expect(tokens.accessToken).toBe(call.accessToken);
    expect(tokens.refreshToken).toBe(call.refreshToken);
    expect(tokens.expiresAt - tokens.obtainedAt).toBe(3600_000);
  });

  it('the handed-over pair works in ActOnTokenManager: served, then rotated at Act-On', async () => {
    validateCalls.length = 0;
    expect((await nestLogin('acton')).status).toBe(200);
    const { profile } = validateCalls[0] as ValidateCall;
    expect(await manager.getAccessToken(profile.id)).toBe(profile.tokens.accessToken);

    const refreshesBefore = emulator.stats().grants.refresh_token;
    const rotated = await manager.refresh(profile.id);
    expect(rotated.refreshToken).not.toBe(profile.tokens.refreshToken);
    expect(emulator.stats().grants.refresh_token).toBe(refreshesBefore + 1);
    const account = await manager.fetch('/api/1/account', undefined, { account: profile.id });
    expect(account.status).toBe(200);
    expect(((await account.json()) as { account_id: number }).account_id).toBe(10001);
  });

  it('rejects a forged state with 401 and no code exchange', async () => {
    const before = emulator.stats().grants.authorization_code;
    const response = await nestLogin('acton', { tamperState: true });
    expect(response.status).toBe(401);
    expect(emulator.stats().grants.authorization_code).toBe(before);
  });

  it('works with super() and ACTON_* variables', async () => {
    const response = await nestLogin('acton-env');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ id: '10001', expiresAt: expect.any(Number) });
    expect(response.body.expiresAt).toBeGreaterThan(Date.now() + 3500_000);
  });

  it("with callbackArity, validate() also gets passport-oauth2's params (expires_in) and params.tokens", async () => {
    paramsCalls.length = 0;
    const response = await nestLogin('acton-params');
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ id: '10001', expiresIn: 3600, expiresAt: expect.any(Number) });
    expect(paramsCalls[0]?.params.tokens).toBe(paramsCalls[0]?.profile.tokens);
  });
});
