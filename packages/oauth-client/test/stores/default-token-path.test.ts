import { createHash } from 'node:crypto';
import path from 'node:path';
import { defaultTokenPath } from '../../src/default-token-path';

const CLIENT = 'client-id-123';
const BASE = 'https://restapi.actonsoftware.com';
const NAME = `tokens-${createHash('sha256').update(`${CLIENT} ${BASE}`).digest('hex').slice(0, 12)}.json`;

describe('defaultTokenPath', () => {
  it('uses $ACTON_TOKEN_FILE when set', () => {
    const file = path.join(path.sep, 'srv', 'acton', 'tokens.json');
    expect(defaultTokenPath(CLIENT, BASE, { env: { ACTON_TOKEN_FILE: file } })).toBe(file);
    expect(defaultTokenPath(CLIENT, BASE, { env: { ACTON_TOKEN_FILE: 'rel/tokens.json' } })).toBe(
      path.resolve('rel/tokens.json'),
    );
  });

  it('uses $XDG_DATA_HOME on Linux, or ~/.local/share, and ignores a relative XDG_DATA_HOME', () => {
    expect(
      defaultTokenPath(CLIENT, BASE, {
        platform: 'linux',
        homedir: '/home/ann',
        env: { XDG_DATA_HOME: '/data' },
      }),
    ).toBe(`/data/acton-auth/${NAME}`);
    expect(defaultTokenPath(CLIENT, BASE, { platform: 'linux', homedir: '/home/ann', env: {} })).toBe(
      `/home/ann/.local/share/acton-auth/${NAME}`,
    );
    expect(
      defaultTokenPath(CLIENT, BASE, {
        platform: 'linux',
        homedir: '/home/ann',
        env: { XDG_DATA_HOME: 'x' },
      }),
    ).toBe(`/home/ann/.local/share/acton-auth/${NAME}`);
  });

  it('uses ~/Library/Application Support on macOS', () => {
    expect(defaultTokenPath(CLIENT, BASE, { platform: 'darwin', homedir: '/Users/ann', env: {} })).toBe(
      `/Users/ann/Library/Application Support/acton-auth/${NAME}`,
    );
  });

  it('uses %LOCALAPPDATA% on Windows', () => {
    expect(
      defaultTokenPath(CLIENT, BASE, {
        platform: 'win32',
        homedir: 'C:\\Users\\ann',
        env: { LOCALAPPDATA: 'C:\\Users\\ann\\AppData\\Local' },
      }),
    ).toBe(`C:\\Users\\ann\\AppData\\Local\\acton-auth\\${NAME}`);
    expect(defaultTokenPath(CLIENT, BASE, { platform: 'win32', homedir: 'C:\\Users\\ann', env: {} })).toBe(
      `C:\\Users\\ann\\AppData\\Local\\acton-auth\\${NAME}`,
    );
  });

  it('gives every client id and base URL its own file, the same one for a trailing slash', () => {
    const where = (client: string, base: string): string =>
      defaultTokenPath(client, base, { platform: 'linux', homedir: '/h', env: {} });
    expect(where(CLIENT, BASE)).not.toBe(where('other-client', BASE));
    expect(where(CLIENT, BASE)).not.toBe(where(CLIENT, 'https://restapi-eu.actonsoftware.com'));
    expect(where(CLIENT, `${BASE}/`)).toBe(where(CLIENT, BASE));
    expect(path.posix.basename(where(CLIENT, BASE))).toMatch(/^tokens-[0-9a-f]{12}\.json$/);
    expect(where(CLIENT, BASE)).not.toContain(CLIENT);
  });

  it('reads the real environment by default', () => {
    const saved = process.env.ACTON_TOKEN_FILE;
    process.env.ACTON_TOKEN_FILE = path.resolve('from-env.json');
    try {
      expect(defaultTokenPath(CLIENT, BASE)).toBe(path.resolve('from-env.json'));
    } finally {
      if (saved === undefined) delete process.env.ACTON_TOKEN_FILE;
      else process.env.ACTON_TOKEN_FILE = saved;
    }
  });
});
