import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Get, Inject, Query, type LoggerService } from '@nestjs/common';
import {
  EMULATOR_DEFAULTS,
  startActOnEmulator,
  type ActOnEmulator,
  type ActOnEmulatorOptions,
} from '@acton/emulator';
import { ActOnTokenService, type ActOnAuthModuleOptions } from '@acton/nest-auth';

export const HOUR_MS = 3_600_000;

/** Starts emulators on free loopback ports and closes each one after the test that started it. */
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

/**
 * Module options pointing at `emulator`, on its clock, with a memory store and the environment switched off
 * (so a developer's own ACTON_* variables cannot leak into a test).
 */
export function emulatorOptions(
  emulator: ActOnEmulator,
  overrides: ActOnAuthModuleOptions = {},
): ActOnAuthModuleOptions {
  return {
    clientId: emulator.options.clientId,
    clientSecret: emulator.options.clientSecret,
    baseUrl: emulator.url,
    username: emulator.options.users[0]?.username ?? EMULATOR_DEFAULTS.username,
    password: emulator.options.users[0]?.password ?? EMULATOR_DEFAULTS.password,
    store: 'memory',
    now: () => emulator.clock.now(),
    retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
    timeoutMs: 2_000,
    env: false,
    ...overrides,
  };
}

/** The `ACTON_*` variables describing `emulator`, for tests of `forRoot()` without options. */
export function emulatorEnv(emulator: ActOnEmulator): Record<string, string> {
  return {
    ACTON_CLIENT_ID: emulator.options.clientId,
    ACTON_CLIENT_SECRET: emulator.options.clientSecret,
    ACTON_USERNAME: emulator.options.users[0]?.username ?? EMULATOR_DEFAULTS.username,
    ACTON_PASSWORD: emulator.options.users[0]?.password ?? EMULATOR_DEFAULTS.password,
    ACTON_BASE_URL: emulator.url,
  };
}

/**
 * Sets process variables for one test and restores the previous values afterwards. Every `ACTON_*` variable
 * not given is removed for the duration, so the developer's environment cannot change the outcome.
 */
export function withEnv(): (values: Record<string, string>) => void {
  let saved: Record<string, string | undefined> | undefined;
  afterEach(() => {
    if (saved === undefined) return;
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    saved = undefined;
  });
  return (values) => {
    saved ??= {};
    const names = new Set([
      ...Object.keys(process.env).filter((name) => name.startsWith('ACTON_')),
      ...Object.keys(values),
    ]);
    for (const name of names) {
      if (!(name in saved)) saved[name] = process.env[name];
      if (name in values) process.env[name] = values[name];
      else delete process.env[name];
    }
  };
}

/** A temporary directory removed after each test. */
export function tempDirs(): () => Promise<string> {
  const made: string[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), 'acton-nest-test-'));
    made.push(dir);
    return dir;
  };
}

/** One line a {@link CaptureLogger} received. */
export interface CapturedLine {
  readonly level: string;
  readonly text: string;
}

/** A Nest LoggerService that keeps every line (message and all optional params) for inspection. */
export class CaptureLogger implements LoggerService {
  readonly lines: CapturedLine[] = [];

  log(message: unknown, ...params: unknown[]): void {
    this.push('log', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.push('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.push('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.push('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.push('verbose', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.push('fatal', message, params);
  }

  /** Every line as one string, for "contains no secret" assertions. */
  text(): string {
    return this.lines.map((line) => `${line.level} ${line.text}`).join('\n');
  }

  private push(level: string, message: unknown, params: unknown[]): void {
    const parts = [message, ...params].map((part) =>
      part instanceof Error
        ? `${part.name}: ${part.message}\n${part.stack ?? ''}`
        : typeof part === 'string'
          ? part
          : JSON.stringify(part),
    );
    this.lines.push({ level, text: parts.join(' ') });
  }
}

/** Calls Act-On's account endpoint through the service, as an app's controller would. */
@Controller('acton')
export class AccountController {
  constructor(@Inject(ActOnTokenService) private readonly acton: ActOnTokenService) {}

  @Get('account')
  async account(@Query('account') account?: string): Promise<unknown> {
    const response = await this.acton.fetch('/api/1/account', {}, account === undefined ? {} : { account });
    const body: unknown = await response.json();
    return { status: response.status, body };
  }
}

/** A random 64-hex encryption key. */
export function randomKey(): string {
  return randomBytes(32).toString('hex');
}
