// Issue #19 finding 6, end to end: a 600-byte config.json saying n_layer 1e9 used to make the
// engine allocate per-layer arrays for ~20 s and 1.7–3.3 GB until V8 aborted it (SIGABRT). Now the
// real CLI, with its real engine child process, stops with the config error. Both processes run
// under a 256 MB V8 heap cap: allocating by the bad number would abort the engine, not print this.

import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtDir } from './helpers';

const ROOT = resolve(__dirname, '../..');
const BUNDLED = join(ROOT, 'resources/models/featurescope-tiny');

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/featurescope.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

describe('featurescope run on a config.json with n_layer 1e9', () => {
  let work: string;
  beforeAll(() => {
    if (!existsSync(join(builtDir, 'engine.js'))) throw new Error('Build first: npm run build (the test runs the built CLI and engine).');
    work = mkdtempSync(join(tmpdir(), 'fs-config-bounds-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('exits with the config error naming the file, field, value and limit — not a signal', async () => {
    const model = join(work, 'model');
    cpSync(BUNDLED, model, { recursive: true });
    const config = JSON.parse(readFileSync(join(model, 'config.json'), 'utf8')) as Record<string, unknown>;
    const text = JSON.stringify({ ...config, n_layer: 1e9 }, null, 2);
    writeFileSync(join(model, 'config.json'), text.padEnd(600, ' '));
    expect(readFileSync(join(model, 'config.json')).length).toBe(600);

    const r = await run(['run', '--model', model, '--prompt', 'hello'], {
      ...process.env,
      FEATURESCOPE_HOME: join(work, 'home'),
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=256`.trim(),
    });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('config.json: field "n_layer" is 1000000000; the limit is 1,024 layers');
    expect(r.stderr).not.toMatch(/killed|SIGABRT|heap|Invalid array length/);
    expect(r.stdout).toBe('');
  }, 180_000);
});
