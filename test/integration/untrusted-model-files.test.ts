// Issue #19 end to end, through the real CLI and its real engine child process.
// Finding 6: a 600-byte config.json saying n_layer 1e9 used to make the engine allocate per-layer
// arrays for ~20 s and 1.7–3.3 GB until V8 aborted it (SIGABRT). Now the CLI stops with the config
// error. Both processes run under a 256 MB V8 heap cap: allocating by the bad number would abort
// the engine, not print this.
// Finding 9: NaN weights ran silently ("NaN%"); now refused naming the tensor, unless
// --allow-non-finite.

import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SafetensorsFile, writeSafetensors } from '../../src/engine/formats/safetensors';
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

  it('refuses NaN weights naming the tensor; --allow-non-finite runs them', async () => {
    const model = join(work, 'nan-model');
    cpSync(BUNDLED, model, { recursive: true });
    const weights = join(model, 'model.safetensors');
    const src = SafetensorsFile.open(weights);
    const tensors = [...src.tensors.keys()].map((name) => {
      const data = src.readFloat32(name).slice();
      if (name === 'transformer.h.1.mlp.c_proj.weight') data[7] = NaN;
      return { name, dtype: 'F32' as const, shape: [...src.entry(name).shape], data };
    });
    src.close();
    writeSafetensors(weights, tensors);
    const env = { ...process.env, FEATURESCOPE_HOME: join(work, 'home-nan') };

    const refused = await run(['run', '--model', model, '--prompt', 'hello'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('tensor "transformer.h.1.mlp.c_proj.weight" holds NaN at element [0, 7]');
    expect(refused.stderr).toContain('--allow-non-finite');

    const allowed = await run(['run', '--model', model, '--prompt', 'hello', '--allow-non-finite', '--json'], env);
    expect(allowed.code).toBe(0);
    const out = JSON.parse(allowed.stdout) as { next: Array<{ prob: number | null }> };
    expect(out.next.length).toBeGreaterThan(0);
    expect(out.next.every((t) => t.prob === null || Number.isNaN(t.prob))).toBe(true); // NaN prints as null in JSON
  }, 180_000);
});
