// The job list names what each job works on, and charts each metric over its own phase's unit:
// a real registry with a real journal file, as the host keeps them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JobJournal } from '../../../src/host/job-journal';
import { JobRegistry } from '../../../src/host/jobs';
import { jobTarget } from '../../../src/shared/job-target';

const root = mkdtempSync(join(tmpdir(), 'fs-job-target-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('job targets', () => {
  it('name the SAE a training writes, the capture, and the analysed SAE by name', () => {
    expect(jobTarget('sae.train', { name: ' sae-1 ', store: '/s' })).toEqual({ output: 'sae:sae-1', label: 'SAE "sae-1"' });
    expect(jobTarget('capture.start', { name: 'c1', hooks: ['blocks.1.hook_resid_post'] })).toEqual({ output: 'capture:c1', label: 'capture "c1" at blocks.1.hook_resid_post' });
    expect(jobTarget('sae.analyze', { saeId: 3 }, (id) => (id === 3 ? 'first-sae' : undefined))).toEqual({ output: 'analysis:3', label: 'analysis of SAE "first-sae"' });
    expect(jobTarget('sae.analyze', { saeId: 4 }, () => undefined)?.label).toBe('analysis of SAE #4');
    expect(jobTarget('sae.train', { name: '' })).toBeUndefined();
  });

  it('are kept with the job, in the journal, for the next session', () => {
    const path = join(root, 'jobs.jsonl');
    const first = new JobRegistry(new JobJournal(path));
    const job = first.create('sae.train', 'Train', jobTarget('sae.train', { name: 'sae-1' }));
    first.finish(job.id, { saeId: 1 });
    expect(new JobRegistry(new JobJournal(path)).get(job.id)?.target).toEqual({ output: 'sae:sae-1', label: 'SAE "sae-1"' });
  });

  it('keep the unit of the phase that reported each metric (a training is charted over steps, not its evaluation windows)', () => {
    const jobs = new JobRegistry();
    const job = jobs.create('sae.train', 'Train');
    jobs.progress(job.id, { done: 10, total: 20, unit: 'steps', fraction: 0.5, rate: 1, etaSeconds: 10, metrics: { loss: 0.5, l0: 8 } });
    jobs.progress(job.id, { done: 3, total: 32, unit: 'windows', fraction: 0.1, rate: 1, etaSeconds: 29, message: 'evaluating sae-1' });
    expect(jobs.get(job.id)?.historyUnits).toEqual({ loss: 'steps', l0: 'steps' });
    expect(jobs.get(job.id)?.progress?.unit).toBe('windows');
  });
});
