import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EMULATOR_DEFAULTS,
  startActOnEmulator,
  type ActOnEmulator,
  type ActOnEmulatorOptions,
} from '@acton/emulator';
import { ActOnTokenManager, MemoryTokenStore, type ActOnTokenManagerOptions } from '../../src';

/** Lines a manager logged, to prove what it did and that no secret was in them. */
export type LogLine = { level: string; message: string; fields?: Record<string, unknown> };

export async function startEmulator(options: ActOnEmulatorOptions = {}): Promise<ActOnEmulator> {
  return startActOnEmulator(options);
}

/** A manager pointed at the emulator, on the emulator's clock, with a memory store unless one is given. */
export function managerFor(
  emulator: ActOnEmulator,
  overrides: Partial<ActOnTokenManagerOptions> = {},
  logs?: LogLine[],
): ActOnTokenManager {
  return new ActOnTokenManager({
    clientId: EMULATOR_DEFAULTS.clientId,
    clientSecret: EMULATOR_DEFAULTS.clientSecret,
    baseUrl: emulator.url,
    now: () => emulator.clock.now(),
    store: new MemoryTokenStore(),
    credentials: { username: EMULATOR_DEFAULTS.username, password: EMULATOR_DEFAULTS.password },
    retry: { maxAttempts: 4, baseDelayMs: 5, maxDelayMs: 20 },
    timeoutMs: 2_000,
    ...(logs === undefined
      ? {}
      : {
          logger: {
            debug: (message, fields) => logs.push({ level: 'debug', message, fields }),
            info: (message, fields) => logs.push({ level: 'info', message, fields }),
            warn: (message, fields) => logs.push({ level: 'warn', message, fields }),
            error: (message, fields) => logs.push({ level: 'error', message, fields }),
          },
        }),
    ...overrides,
  });
}

export async function makeTempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'acton-test-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export const HOUR_MS = 3_600_000;
