// Writer leases on a real SQLite file: when a holder counts as alive, what a refusal says, the
// heartbeat, and start-up recovery leaving a live writer's analysis alone.
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { HEARTBEAT_MS, OTHER_HOST_TIMEOUT_MS, leaseOutputs, takeLease } from '../../../src/catalog/leases';
import { recoverInterruptedAnalyses, takeAnalysisLease } from '../../../src/catalog/recovery';
import { beginAnalysis } from '../../../src/catalog/writes';
import type { Catalog } from '../../../src/catalog/open';
import { addSae, newCatalog, tempDir } from './helpers';

const tmp = tempDir('fs-leases-');
afterAll(() => tmp.cleanup());
let n = 0;
let cat: Catalog;
const fresh = () => (cat = newCatalog(tmp.file(`leases-${n++}.db`)));
afterEach(() => {
  vi.useRealTimers();
  cat?.close();
});

const who = { command: 'featurescope analyze --sae s', job: 'sae.analyze' };
/** A lease row as another process would have left it. */
function plant(output: string, row: { pid: number; host?: string; heartbeatAt?: number; leaseId?: string }): void {
  const now = Date.now();
  cat.db
    .prepare(`INSERT INTO writer_leases (output, lease_id, pid, host, command, job, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
    .run(output, row.leaseId ?? 'planted', row.pid, row.host ?? hostname(), 'featurescope serve', 'sae.analyze', now - 60_000, row.heartbeatAt ?? now);
}
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;
const holders = () => cat.db.prepare(`SELECT output, pid, host FROM writer_leases ORDER BY output`).all();

describe('writer leases', () => {
  it('refuses a second writer of one output while the first holds it, also inside one process; release frees it', () => {
    fresh();
    const first = takeLease(cat, 'sae:x', 'the training of SAE "x"', { command: 'featurescope train --name x', job: 'sae.train' });
    expect(() => takeLease(cat, 'sae:x', 'the training of SAE "x"', who)).toThrow(
      new RegExp(`^The training of SAE "x" is already being written by another process: pid ${process.pid} on host .+ \\(this machine\\), since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC, running "featurescope train --name x" \\(job sae.train\\)\\.`),
    );
    const other = takeLease(cat, 'sae:y', 'y', who); // another output is free
    first.release();
    first.release(); // idempotent
    expect(holders()).toEqual([{ output: 'sae:y', pid: process.pid, host: hostname() }]);
    takeLease(cat, 'sae:x', 'x', who).release();
    other.release();
    expect(holders()).toEqual([]);
  });

  it('takes over the lease of a dead pid on this machine, and one with our pid that this process does not hold', () => {
    fresh();
    const dead = deadPid();
    plant('capture:/a', { pid: dead });
    plant('capture:/b', { pid: process.pid, leaseId: 'an earlier process with our pid' });
    const a = takeLease(cat, 'capture:/a', 'a', who);
    const b = takeLease(cat, 'capture:/b', 'b', who);
    expect(a.tookOver).toMatchObject({ pid: dead, command: 'featurescope serve' });
    expect(b.tookOver).toMatchObject({ pid: process.pid });
    a.release();
    b.release();
  });

  it('trusts another machine while its heartbeat is fresh, and takes over once it is older than the timeout', () => {
    fresh();
    plant('sae:fresh', { pid: 1, host: 'gpu-box' });
    plant('sae:stale', { pid: 1, host: 'gpu-box', heartbeatAt: Date.now() - OTHER_HOST_TIMEOUT_MS - 1 });
    expect(() => takeLease(cat, 'sae:fresh', 'the training of SAE "fresh"', who)).toThrow(/pid 1 on host gpu-box, since /);
    const stale = takeLease(cat, 'sae:stale', 'stale', who);
    expect(stale.tookOver).toMatchObject({ host: 'gpu-box' });
    stale.release();
  });

  it('keeps its heartbeat fresh while held', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    fresh();
    const lease = takeLease(cat, 'sae:beat', 'beat', who);
    const beat = () => cat.db.prepare(`SELECT heartbeat_at FROM writer_leases WHERE output = 'sae:beat'`).pluck().get() as number;
    const t0 = beat();
    vi.advanceTimersByTime(3 * HEARTBEAT_MS);
    expect(beat()).toBe(t0 + 3 * HEARTBEAT_MS);
    lease.release();
  });
});

describe('recovery with other writers on the workspace', () => {
  it('fails only the running analyses whose writer is gone', () => {
    fresh();
    const live = addSae(cat, 8, 'live');
    const remote = addSae(cat, 8, 'remote');
    const dead = addSae(cat, 8, 'dead');
    const unleased = addSae(cat, 8, 'unleased');
    plant(leaseOutputs.analysis(live), { pid: process.ppid }); // alive: the process that started this test
    plant(leaseOutputs.analysis(remote), { pid: 1, host: 'gpu-box' });
    plant(leaseOutputs.analysis(dead), { pid: deadPid() });
    const ids = [live, remote, dead, unleased].map((saeId) => beginAnalysis(cat, { saeId, corpusId: null }));
    expect(recoverInterruptedAnalyses(cat)).toBe(2);
    const states = cat.db.prepare(`SELECT state FROM analyses WHERE id IN (${ids.join(',')}) ORDER BY id`).pluck().all();
    expect(states).toEqual(['running', 'running', 'failed', 'failed']);
  });

  it("the next analysis writer of an SAE takes over a dead writer's lease and fails its analysis", () => {
    fresh();
    const saeId = addSae(cat, 8, 's');
    plant(leaseOutputs.analysis(saeId), { pid: deadPid() });
    const old = beginAnalysis(cat, { saeId, corpusId: null });
    const lease = takeAnalysisLease(cat, saeId, who);
    expect(cat.db.prepare(`SELECT state, message FROM analyses WHERE id = ?`).get(old)).toEqual({
      state: 'failed',
      message: 'interrupted: the writer stopped before the analysis completed',
    });
    expect(() => takeAnalysisLease(cat, saeId, who)).toThrow(/^The analysis of SAE "s" is already being written by another process: pid /);
    lease.release();
  });
});
