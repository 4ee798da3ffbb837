import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const PACKAGE_DIR = path.resolve(__dirname, '..');
const ROOT = path.resolve(PACKAGE_DIR, '..', '..');
const DIST_ENTRY = path.join(PACKAGE_DIR, 'dist', 'index.js');

function newestSourceMtime(): number {
  const dir = path.join(PACKAGE_DIR, 'src');
  return Math.max(...readdirSync(dir).map((file) => statSync(path.join(dir, file)).mtimeMs));
}

/** Runs a fixture with plain node, as a consumer would, and returns what it printed. */
function runFixture(file: string): Record<string, unknown> {
  const output = execFileSync(process.execPath, [path.join(__dirname, 'fixtures', file)], {
    cwd: PACKAGE_DIR,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return JSON.parse(output.trim()) as Record<string, unknown>;
}

beforeAll(() => {
  // These tests load the compiled package; build it when it is missing or older than the sources.
  if (!existsSync(DIST_ENTRY) || statSync(DIST_ENTRY).mtimeMs < newestSourceMtime()) {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'packages/passport-acton'], {
      cwd: ROOT,
      stdio: 'pipe',
    });
  }
}, 120_000);

describe('the built package', () => {
  it('is imported by an ES module (node on an .mjs file)', () => {
    const result = runFixture('esm-import.mjs');
    expect(result).toEqual({
      format: 'esm',
      name: 'acton',
      sameClass: true,
      isOAuth2Strategy: true,
      hasStore: true,
      tokenErrorName: 'ActOnTokenError',
      url: expect.any(String),
    });
    const url = new URL(result.url as string);
    expect(`${url.origin}${url.pathname}`).toBe('https://api.actonsoftware.com/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      redirect_uri: 'https://app.example.com/auth/acton/callback',
      scope: 'PRODUCTION',
      client_id: 'esm-client',
    });
  });

  it('is required by a CommonJS module (node on a .cjs file)', () => {
    const result = runFixture('cjs-require.cjs');
    expect(result).toMatchObject({
      format: 'cjs',
      name: 'acton',
      sameClass: true,
      isOAuth2Strategy: true,
      hasStore: true,
      tokenErrorName: 'ActOnTokenError',
    });
    expect(new URL(result.url as string).origin).toBe('https://api-eu.actonsoftware.com');
  });

  it('declares CommonJS entry points and types that exist', () => {
    const manifest = JSON.parse(readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8')) as {
      main: string;
      types: string;
      exports: { '.': { types: string; default: string } };
    };
    for (const file of [
      manifest.main,
      manifest.types,
      manifest.exports['.'].types,
      manifest.exports['.'].default,
    ]) {
      expect(existsSync(path.join(PACKAGE_DIR, file))).toBe(true);
    }
  });
});
