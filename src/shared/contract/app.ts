import { z } from 'zod';
import { command, jobCommand } from './define';
import { BackendInfo, Empty, JobInfo, JobRef } from './common';

export const EngineState = z.enum(['starting', 'ready', 'restarting', 'stopped']);

export const DoctorReport = z.object({
  app: z.object({
    version: z.string(),
    node: z.string(),
    electron: z.string().nullable(),
    platform: z.string(),
    arch: z.string(),
    mode: z.enum(['desktop', 'serve', 'cli']),
  }),
  engine: z.object({
    state: EngineState,
    pid: z.number().nullable(),
    restarts: z.number().int(),
    backend: BackendInfo.nullable(),
  }),
  versions: z.record(z.string(), z.string()),
  paths: z.object({
    dataDir: z.string(),
    workspace: z.string(),
    catalog: z.string(),
    resources: z.string(),
    bundledModels: z.string(),
  }),
});

export const appCommands = {
  'app.doctor': command({
    summary: 'Report the engine backend, versions and data paths',
    runsIn: 'host',
    input: Empty,
    output: DoctorReport,
  }),
  'jobs.list': command({
    summary: 'All jobs of this session, newest first',
    runsIn: 'host',
    input: Empty,
    output: z.array(JobInfo),
  }),
  'jobs.get': command({
    summary: 'One job with its progress, metric history and result',
    runsIn: 'host',
    input: z.object({ jobId: z.string().min(1) }).strict(),
    output: JobInfo,
  }),
  'jobs.cancel': command({
    summary: 'Ask a running job to stop (jobs that checkpoint do so first)',
    runsIn: 'host',
    input: z.object({ jobId: z.string().min(1) }).strict(),
    output: z.object({ cancelled: z.boolean() }),
  }),
  'engine.benchmark': jobCommand({
    summary: 'Measure fp32 matmul throughput of the engine backend (GFLOP/s)',
    input: z
      .object({
        size: z.number().int().min(16).max(4096).default(512).describe('Matrix side: N×N times N×N'),
        seconds: z.number().min(0.05).max(600).default(3).describe('How long to measure'),
      })
      .strict(),
    output: JobRef,
    result: z.object({ size: z.number(), iterations: z.number(), seconds: z.number(), gflops: z.number(), backend: z.string() }),
  }),
};

export type DoctorReport = z.infer<typeof DoctorReport>;
export type EngineState = z.infer<typeof EngineState>;
