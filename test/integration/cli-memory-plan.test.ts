// Issue #15 through the real CLI (node bin/featurescope.js, the built engine): `doctor --model DIR`
// prints the folder's memory plan from its headers; under FEATURESCOPE_MEMORY_LIMIT below the
// model's streaming peak the plan says it does not fit and `run` is refused with the numbers.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtDir } from './helpers';

const BIN = resolve(__dirname, '../../bin/featurescope.js');
const GEMMA2 = resolve(__dirname, '../fixtures/models/gemma2');

function cli(home: string, args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, FEATURESCOPE_HOME: home, ...env }, encoding: 'utf8', timeout: 240_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let home: string;
beforeAll(() => {
  if (!existsSync(join(builtDir, 'cli.js'))) throw new Error('Build first: npx electron-vite build (these tests run the built CLI).');
  home = mkdtempSync(join(tmpdir(), 'featurescope-cli-plan-'));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('memory plan on the command line', () => {
  it('doctor --model prints the plan, resident for a small model', () => {
    const r = cli(home, ['doctor', '--model', GEMMA2]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`Model ${GEMMA2}`);
    expect(r.stdout).toContain('verdict    runs, weights resident');
    expect(r.stdout).toMatch(/parameters [\d.]+ M, stored \d+ kB \(F32\)/);
    const json = JSON.parse(cli(home, ['doctor', '--model', GEMMA2, '--json']).stdout) as { engine: unknown; memoryPlan: { mode: string; fits: boolean; backend: string } };
    expect(json.engine).toBeDefined(); // the doctor report is still all there
    expect(json.memoryPlan).toMatchObject({ mode: 'resident', fits: true, backend: 'wasm' });
  }, 300_000);

  it('under a 20 kB limit the plan does not fit, and run is refused naming the numbers', () => {
    const env = { FEATURESCOPE_MEMORY_LIMIT: '20kB' };
    const plan = JSON.parse(cli(home, ['doctor', '--model', GEMMA2, '--json'], env).stdout) as { memoryPlan: { fits: boolean; backendLimitBytes: number } };
    expect(plan.memoryPlan).toMatchObject({ fits: false, backendLimitBytes: 20_000 });
    const r = cli(home, ['run', '--model', GEMMA2, '--prompt', 'hello'], env);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('this model cannot run here');
    expect(r.stderr).toContain("over the wasm backend's limit of 20 kB");
  }, 300_000);
});
