// Jobs outlive the session: a host's registry with a journal (a real jobs.jsonl) hands the next
// host its ended jobs, with history and result; jobs cut off by a dead process come back failed,
// another live process's running job is left out, torn lines are skipped, and a long file is
// rewritten to the jobs it keeps.
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JobJournal, KEPT_JOBS } from '../../../src/host/job-journal';
import { JobRegistry } from '../../../src/host/jobs';

const root = mkdtempSync(join(tmpdir(), 'fs-jobs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let files = 0;
const freshPath = () => join(root, `ws-${files++}`, 'jobs.jsonl');

/** A pid that is surely not running: past Linux's pid_max. */
const DEAD_PID = 4_194_304 + 17;

describe('job journal', () => {
  it("a new host lists the last session's ended jobs with their history, result and error", () => {
    const path = freshPath();
    const first = new JobRegistry(new JobJournal(path));
    const train = first.create('sae.train', 'Train sae-1');
    first.progress(train.id, { done: 10, total: 100, unit: 'steps', fraction: 0.1, rate: 5, etaSeconds: 18, metrics: { mse: 0.5 } });
    first.progress(train.id, { done: 20, total: 100, unit: 'steps', fraction: 0.2, rate: 5, etaSeconds: 16, metrics: { mse: 0.25, lr: Number.NaN } });
    first.finish(train.id, { saeId: 3 });
    const capture = first.create('capture.start', 'Capture');
    first.fail(capture.id, { code: 'invalid_input', message: 'corpus: missing.txt does not exist', field: 'corpus' });

    const second = new JobRegistry(new JobJournal(path));
    const listed = second.list();
    expect(listed.map((j) => `${j.title}: ${j.state}`).sort()).toEqual(['Capture: failed', 'Train sae-1: finished']);
    const again = second.get(train.id)!;
    // A NaN metric is written as null and fails the full record: the job is still listed, finished,
    // with what parses (its history and result are dropped).
    expect(again.state).toBe('finished');
    expect(again.history).toBeUndefined();
    const otherPath = freshPath();
    const third = new JobRegistry(new JobJournal(otherPath));
    const plain = third.create('sae.train', 'Train sae-2');
    third.progress(plain.id, { done: 10, total: 100, unit: 'steps', fraction: 0.1, rate: 5, etaSeconds: 18, metrics: { mse: 0.5 } });
    third.finish(plain.id, { saeId: 4 });
    const reread = new JobRegistry(new JobJournal(otherPath)).get(plain.id)!;
    expect(reread.history).toEqual([{ done: 10, mse: 0.5 }]);
    expect(reread.result).toEqual({ saeId: 4 });
    expect(reread.progress?.etaSeconds).toBe(18);
    expect(second.get(capture.id)!.error).toMatchObject({ field: 'corpus' });
    expect(second.running()).toEqual([]);
  });

  it('a job cut off by a dead process is failed with that said; a live process’s job is left out; torn lines are skipped', () => {
    const path = freshPath();
    const journal = new JobJournal(path);
    const job = (id: string) => ({ id, command: 'sae.train', title: id, state: 'running' as const, startedAt: 1 });
    journal.started(job('ours-before')); // written by this pid: a host starting now cannot be running it
    appendFileSync(path, `${JSON.stringify({ event: 'started', pid: DEAD_PID, job: job('crashed') })}\n`);
    appendFileSync(path, `${JSON.stringify({ event: 'started', pid: process.ppid, job: job('other-host') })}\n`);
    appendFileSync(path, 'not json\n{"event":"ended","pid":1,"job":{"id":"x"}}\n{"event":"ended","pid":1,"jo');

    const jobs = new JobRegistry(new JobJournal(path)).list();
    expect(jobs.map((j) => j.id).sort()).toEqual(['crashed', 'ours-before']);
    for (const j of jobs) {
      expect(j.state).toBe('failed');
      expect(j.error?.message).toMatch(/The app stopped while this job was running/);
    }
  });

  it('keeps the newest jobs and rewrites a long file to them', () => {
    const path = freshPath();
    const registry = new JobRegistry(new JobJournal(path));
    const total = 2 * KEPT_JOBS + 50; // 2 lines each: more than 4 × KEPT_JOBS lines
    for (let i = 0; i < total; i++) registry.finish(registry.create('engine.benchmark', `bench ${i}`).id, { i });
    const lines = () => readFileSync(path, 'utf8').trim().split('\n').length;
    expect(lines()).toBe(2 * total);

    const reloaded = new JobRegistry(new JobJournal(path)).list();
    expect(reloaded).toHaveLength(KEPT_JOBS);
    expect(reloaded.map((j) => (j.result as { i: number }).i).sort((a, b) => a - b)).toEqual(Array.from({ length: KEPT_JOBS }, (_, k) => total - KEPT_JOBS + k));
    expect(lines()).toBe(KEPT_JOBS);
    // The rewritten file reads back the same.
    expect(new JobRegistry(new JobJournal(path)).list().map((j) => j.id)).toEqual(reloaded.map((j) => j.id));
  });
});
