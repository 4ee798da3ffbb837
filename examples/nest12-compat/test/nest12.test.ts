import { spawn } from 'node:child_process';
import { join } from 'node:path';

interface SmokeResult {
  nestCommon: string;
  nestCore: string;
  nest11Loaded: boolean;
  statuses: number[];
  grants: { password: number; authorization_code: number; refresh_token: number };
  reuseAttempts: number;
}

function runSmoke(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, '..', 'smoke.cjs')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('@acton/nest-auth on NestJS 12 (ESM-only), from plain node', () => {
  it('boots forRoot(), calls Act-On across expiries with zero reuse, and never loads NestJS 11', async () => {
    const { code, stdout, stderr } = await runSmoke();
    expect({
      code,
      stderr: stderr.replace(/.*ExperimentalWarning.*\n?/g, '').replace(/.*--trace-warnings.*\n?/g, ''),
    }).toEqual({ code: 0, stderr: '' });
    const result = JSON.parse(stdout) as SmokeResult;
    expect(result.nestCommon).toMatch(/^12\./);
    expect(result.nestCore).toMatch(/^12\./);
    expect(result.nest11Loaded).toBe(false);
    expect(result.statuses).toEqual([200, 200, 200]);
    expect(result.grants).toEqual({ password: 1, authorization_code: 0, refresh_token: 2 });
    expect(result.reuseAttempts).toBe(0);
  });
});
