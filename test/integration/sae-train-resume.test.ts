// Issue #19, finding 8, end to end: a train job under a name whose checkpoint was trained with
// other settings is refused, naming them, and `featurescope train --restart` starts over cleanly;
// the catalog stores the settings the run resolved, defaults included.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventName } from '../../src/shared/contract';
import type { Host } from '../../src/host/host';
import { runJob } from '../../src/host/run-job';
import { startTestHost, waitFor } from './helpers';

const fixture = resolve(__dirname, '../fixtures/models/gpt2');
const CLI = resolve(__dirname, '../../bin/featurescope.js');
const HOOK = 'blocks.1.hook_resid_post';

function cli(home: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, FEATURESCOPE_HOME: home }, timeout: 240_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1;
      done({ code, stdout, stderr });
    });
  });
}

describe('sae.train resumes only a checkpoint of the same settings', () => {
  let host: Host;
  let home: string;
  let dispose: () => Promise<void>;
  let store: string;
  const events: Array<{ event: EventName; payload: unknown }> = [];

  beforeAll(async () => {
    ({ host, home, dispose } = await startTestHost());
    host.subscribe((event, payload) => events.push({ event, payload }));
    const corpus = join(mkdtempSync(join(tmpdir(), 'featurescope-corpus-')), 'corpus.txt');
    writeFileSync(corpus, Array.from({ length: 300 }, (_, i) => `line ${i}: the quick brown fox jumps over the lazy dog ${(i * 37) % 101}.`).join('\n'));
    await runJob(host, 'capture.start', { model: fixture, corpus: { kind: 'txt', path: corpus }, hooks: [HOOK], name: 'cap', contextLength: 32, maxTokens: 3000 });
    store = join(home, 'workspaces', 'default', 'activations', 'cap', HOOK);
  });
  afterAll(() => dispose());

  it('refuses another k naming it, then --restart trains from step 0 and stores the resolved settings', async () => {
    const checkpoints = join(home, 'workspaces', 'default', 'checkpoints', 'again');
    // A long run, cancelled once it is under way: it leaves its checkpoint and no catalog entry.
    const started = await host.call('sae.train', { store, name: 'again', architecture: 'topk', dSae: 64, k: 4, steps: 1_000_000, batchSize: 64, checkpointEvery: 1_000_000, evalWindows: 0 });
    expect(started.ok).toBe(true);
    const { jobId } = (started as { value: { jobId: string } }).value;
    const mine = (name: EventName) => events.find((e) => e.event === name && (e.payload as { jobId: string }).jobId === jobId);
    const stepsDone = (e: { event: EventName; payload: unknown }) => {
      const p = e.payload as { jobId: string; progress: { unit: string; done: number } };
      return e.event === 'job.progress' && p.jobId === jobId && p.progress.unit === 'steps' ? p.progress.done : 0;
    };
    await waitFor(() => events.find((e) => stepsDone(e) >= 20), 120_000, 'training progress');
    expect(await host.call('jobs.cancel', { jobId })).toEqual({ ok: true, value: { cancelled: true } });
    await waitFor(() => mine('job.cancelled'), 60_000, 'job.cancelled');
    const left = readdirSync(checkpoints).filter((n) => n.startsWith('step-'));
    expect(left).toHaveLength(1);
    const cancelledAt = Number(left[0]!.slice('step-'.length));
    expect(cancelledAt).toBeGreaterThanOrEqual(20);

    // Same name, another k: refused before any step, naming the field with both values.
    const refused = await cli(home, ['train', '--store', store, '--name', 'again', '--d-sae', '64', '--k', '8', '--steps', '1000000', '--batch', '64', '--eval-windows', '0']);
    expect(refused.code, refused.stderr.slice(-400)).toBe(2);
    expect(refused.stderr).toContain('k 4 → 8');
    expect(refused.stderr).toContain('--restart');
    expect(refused.stderr).not.toMatch(/offset|out of bounds/);
    expect(readdirSync(checkpoints)).toEqual(left);

    // Through the job API too, with the field for the form to mark.
    await expect(runJob(host, 'sae.train', { store, name: 'again', dSae: 128, k: 4, steps: 1_000_000, batchSize: 64, evalWindows: 0 })).rejects.toMatchObject({ code: 'invalid_input', field: 'dSae' });

    const restarted = await cli(home, ['train', '--store', store, '--name', 'again', '--d-sae', '64', '--k', '8', '--steps', '30', '--batch', '64', '--checkpoint-every', '10', '--eval-windows', '0', '--restart']);
    expect(restarted.code, restarted.stderr.slice(-400)).toBe(0);
    expect(restarted.stdout).toMatch(/^completed at step 30: SAE #\d+/);
    expect(restarted.stdout).not.toContain('resumed');
    // The old run's checkpoint is gone; only the new run's newest two are kept.
    expect(readdirSync(checkpoints).filter((n) => n.startsWith('step-')).sort()).toEqual(['step-0000000020', 'step-0000000030']);
    expect(existsSync(join(checkpoints, left[0]!))).toBe(false);

    const db = new Database(join(home, 'workspaces', 'default', 'catalog.sqlite'), { readonly: true });
    try {
      const row = db.prepare('SELECT cfg FROM saes WHERE name = ?').get('again') as { cfg: string };
      const training = (JSON.parse(row.cfg) as { training: Record<string, unknown> }).training;
      // What the run used, defaults filled in: not only the given k and steps.
      expect(training).toMatchObject({ architecture: 'topk', k: 8, steps: 30, dSae: 64, batchSize: 64, seed: 0, kAux: 16, auxCoefficient: 1 / 32, deadTokens: 192, store });
      expect(training.lr).toBeCloseTo(2e-4 / Math.sqrt(64 / 2 ** 14), 12);
    } finally {
      db.close();
    }
  });
});
