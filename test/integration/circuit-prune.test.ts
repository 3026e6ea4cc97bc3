// featurescope prune through the real CLI and engine processes, on the planted-circuit model
// (test/unit/circuits/planted-circuit.ts): the run is logged as a 'circuit' experiment and its
// replay prunes the same circuit again; a run killed mid-way (kill -9 of the CLI and its engine)
// leaves no experiment behind.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listExperiments, openCatalog } from '../../src/catalog';
import { PLANTED, writePlantedCircuitModel, writePlantedTask } from '../unit/circuits/planted-circuit';

const CLI = resolve(__dirname, '../../bin/featurescope.js');
const home = mkdtempSync(join(tmpdir(), 'fs-prune-'));
const env = { ...process.env, FEATURESCOPE_HOME: home, FEATURESCOPE_BACKEND: 'wasm', FEATURESCOPE_THREADS: '1' };
const model = writePlantedCircuitModel();
const task = writePlantedTask(model);

function cli(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [CLI, ...args], { env, detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((ok) => child.on('close', (code) => ok({ code, stdout, stderr })));
  return { child, done };
}

const circuitExperiments = () => {
  const catalog = openCatalog(join(home, 'workspaces/default/catalog.sqlite'), { readonly: true });
  try {
    return listExperiments(catalog, { kind: 'circuit' });
  } finally {
    catalog.close();
  }
};

describe('featurescope prune', () => {
  it('refuses a task that is neither built in nor a file, naming the field', async () => {
    const r = await cli(['prune', '--model', model, '--task', 'no-such-task']).done;
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/task: "no-such-task" is not a built-in task \(.*quote-type.*\)/);
  }, 60_000);

  it('leaves nothing in the catalog when killed mid-way', async () => {
    const run = cli(['prune', '--model', model, '--task', task, '--steps', '5000']);
    let seen = '';
    run.child.stderr!.on('data', (d) => (seen += d));
    await new Promise<void>((ok, fail) => {
      const timer = setInterval(() => {
        if (/\d+\/5000 steps/.test(seen)) {
          clearInterval(timer);
          ok();
        }
      }, 100);
      run.child.on('close', () => fail(new Error(`prune ended before it was killed: ${seen.slice(-300)}`)));
    });
    process.kill(-run.child.pid!, 'SIGKILL'); // the CLI and the engine it started
    await run.done;
    expect(circuitExperiments()).toEqual([]);
  }, 120_000);

  it('logs the planted circuit as an experiment, and its replay finds the same circuit', async () => {
    const first = await cli(['prune', '--model', model, '--task', task, '--steps', '100', '--seed', '7', '--json']).done;
    expect(first.code, first.stderr.slice(-500)).toBe(0);
    const r = JSON.parse(first.stdout) as { experiment: { citeId: string }; circuit: { nodes: Array<{ hook: string; index: number }> }; verification: { faithful: boolean } };
    expect(r.circuit.nodes.map((n) => `${n.hook}#${n.index}`)).toEqual(PLANTED.map((p) => `${p.hook}#${p.index}`).sort());
    expect(r.verification.faithful).toBe(true);
    const logged = circuitExperiments();
    expect(logged.map((e) => e.citeId)).toEqual([r.experiment.citeId]);
    expect(logged[0]!.seed).toBe(7);

    const again = await cli(['prune', '--replay', r.experiment.citeId, '--json']).done;
    expect(again.code, again.stderr.slice(-500)).toBe(0);
    const replay = JSON.parse(again.stdout) as { matches: boolean; now: string[]; logged: string[] };
    expect(replay.matches).toBe(true);
    expect(replay.now).toEqual(replay.logged);
  }, 300_000);
});
