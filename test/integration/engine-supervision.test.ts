import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventName } from '../../src/shared/contract';
import type { Host } from '../../src/host/host';
import { runJob } from '../../src/host/run-job';
import { callOrThrow } from '../../src/shared/call';
import { startTestHost, waitFor } from './helpers';

describe('engine process supervised by the host', () => {
  let host: Host;
  let dispose: () => Promise<void>;
  const events: Array<{ event: EventName; payload: unknown }> = [];

  beforeAll(async () => {
    ({ host, dispose } = await startTestHost());
    host.subscribe((event, payload) => events.push({ event, payload }));
  });
  afterAll(() => dispose());

  it('runs in its own process, on a real tfjs backend that is not the slow cpu one', async () => {
    const report = await callOrThrow(host, 'app.doctor', {});
    expect(report.engine.pid).not.toBe(process.pid);
    expect(report.engine.backend?.kind).not.toBe('cpu');
  });

  it('runs a job to its end with progress events and a plausible result', async () => {
    const progress: number[] = [];
    const result = await runJob(host, 'engine.benchmark', { size: 128, seconds: 0.5 }, (p) => progress.push(p.fraction));
    expect(result.iterations).toBeGreaterThan(0);
    expect(result.gflops).toBeGreaterThan(0.05);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((f) => f >= 0 && f <= 1)).toBe(true);
  });

  it('cancels a running job', async () => {
    const { jobId } = await callOrThrow(host, 'engine.benchmark', { size: 128, seconds: 60 });
    await waitFor(() => events.find((e) => e.event === 'job.progress' && (e.payload as { jobId: string }).jobId === jobId), 30_000, 'progress');
    const cancel = await host.call('jobs.cancel', { jobId });
    expect(cancel).toEqual({ ok: true, value: { cancelled: true } });
    await waitFor(() => events.find((e) => e.event === 'job.cancelled' && (e.payload as { jobId: string }).jobId === jobId), 10_000, 'job.cancelled');
    const job = await callOrThrow(host, 'jobs.get', { jobId });
    expect(job.state).toBe('cancelled');
  });

  it('marks a job failed when the engine is killed mid-job, restarts the engine, and keeps answering', async () => {
    const pidBefore = host.engine.pid!;
    const { jobId } = await callOrThrow(host, 'engine.benchmark', { size: 256, seconds: 120 });
    await waitFor(() => events.find((e) => e.event === 'job.progress' && (e.payload as { jobId: string }).jobId === jobId), 30_000, 'progress');

    process.kill(pidBefore, 'SIGKILL');

    const failed = await waitFor(() => events.find((e) => e.event === 'job.failed' && (e.payload as { jobId: string }).jobId === jobId), 10_000, 'job.failed');
    const error = (failed.payload as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('engine_crashed');
    expect(error.message).toMatch(/SIGKILL/);
    const job = await callOrThrow(host, 'jobs.get', { jobId });
    expect(job.state).toBe('failed');

    await host.engine.whenReady(60_000);
    expect(host.engine.pid).not.toBe(pidBefore);
    const after = await runJob(host, 'engine.benchmark', { size: 64, seconds: 0.2 });
    expect(after.iterations).toBeGreaterThan(0);
    const doctor = await callOrThrow(host, 'app.doctor', {});
    expect(doctor.engine.restarts).toBe(1);
  });

  it('answers a bad command with a clear error and no stack trace', async () => {
    // Malformed on purpose: the untyped entry, as wire input arrives.
    const r = await host.callUntrusted('engine.benchmark', { size: 'big' });
    expect(r).toEqual({ ok: false, error: { code: 'invalid_input', field: 'size', message: expect.stringContaining('size') } });
    expect(JSON.stringify(r)).not.toMatch(/\bat .*\(.*:\d+:\d+\)/);
    const missing = await host.callUntrusted('jobs.get', {});
    expect(missing.ok || missing.error.field).toBe('jobId');
  });
});
