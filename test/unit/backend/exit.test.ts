// The engine process must be able to exit on its own after using the threaded backend:
// XNNPACK's pool workers never finish, so they must not hold the event loop open.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const child = fileURLToPath(new URL('./exit-child.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

describe('process exit', () => {
  it('a process that used 2 wasm threads exits by itself, with code 0', async () => {
    const env = { ...process.env };
    delete env.FEATURESCOPE_BACKEND;
    delete env.FEATURESCOPE_THREADS;
    const proc = spawn(process.execPath, ['--import', 'tsx', child], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const limitMs = 45_000;
    const code = await new Promise<number | string>((resolve) => {
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        resolve('still running: something keeps the event loop alive');
      }, limitMs);
      proc.on('exit', (c, signal) => {
        clearTimeout(timer);
        resolve(c ?? `killed by ${signal}`);
      });
    });
    expect(code, err).toBe(0);
    expect(JSON.parse(out.trim())).toEqual({ kind: 'wasm', threads: 2, sum: 128 * 32 * 64 });
  });
});
