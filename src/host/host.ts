// The host: one router for every client (Electron IPC, serve-mode WebSocket, CLI).
// It validates each command against the shared contract, answers host commands itself,
// forwards engine commands, tracks jobs, and fans engine events out to subscribers.
import { join } from 'node:path';
import { commands, isHostCommand, isJobCommand, type CommandName, type CommandOutput, type EventName, type EventPayload, type HostCommandName, type JobCommandName, type ParsedInput } from '../shared/contract';
import type { DoctorReport } from '../shared/contract';
import type { CallerKind, EngineToHost } from '../shared/engine-protocol';
import { FeaturescopeError, toCommandError, type CommandError } from '../shared/errors';
import { assertCommandName, parseCommandInput } from '../shared/validate';
import type { SpawnEngine } from './engine-process';
import { catalogReader } from './catalog-reader';
import { JobJournal } from './job-journal';
import { JobRegistry } from './jobs';
import { jobTarget } from '../shared/job-target';
import type { AppPaths } from '../node/paths';
import { EngineSupervisor } from './supervisor';
import { appVersion, packageVersions } from '../node/versions';

export type { CallResult } from '../shared/call';
import { typedCall, type Call, type CallResult, type CallUntrusted, type Caller } from '../shared/call';
export type HostEventListener = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

export interface Host extends Caller {
  /** The typed call (src/shared/call.ts): what the CLI, jobs and tests use; `caller` defaults to 'cli'. */
  call: Call;
  /**
   * Wire input (IPC, serve-mode WebSocket frames): a name and input nobody has checked; both are parsed
   * here. The adapter that received it passes `caller` 'browser'; the wire itself never chooses it.
   * Left out, `caller` is 'browser' too: a new transport that forgets it gets the least trust, not the CLI's.
   */
  callUntrusted: CallUntrusted;
  subscribe(listener: HostEventListener): () => void;
  readonly engine: EngineSupervisor;
  readonly paths: AppPaths;
  close(): Promise<void>;
}

export interface HostOptions {
  mode: DoctorReport['app']['mode'];
  paths: AppPaths;
  spawnEngine: SpawnEngine;
}

export function createHost({ mode, paths, spawnEngine }: HostOptions): Host {
  const jobs = new JobRegistry(new JobJournal(join(paths.workspace, 'jobs.jsonl')));
  const listeners = new Set<HostEventListener>();
  const emit: HostEventListener = (event, payload) => {
    for (const l of listeners) l(event, payload);
  };

  /** The engine migrates the catalog before its first ready; the host reads it only after that. */
  let writerReadyOnce = false;

  const engine = new EngineSupervisor(spawnEngine, {
    onMessage: (m) => fromEngine(m),
    onStatus: (s) => {
      emit('engine.status', { state: s.state, pid: s.pid, backend: s.backend, ...(s.message ? { message: s.message } : {}) });
      if (s.state === 'ready') {
        // The engine has (re)opened and migrated the catalog: whatever readers showed may be stale.
        writerReadyOnce = true;
        emit('catalog.changed', { tables: ['*'] });
      }
    },
    onExit: (reason) => {
      // Whatever the engine was doing is lost with it: say so on every running job.
      for (const job of jobs.running()) {
        const error: CommandError = { code: 'engine_crashed', message: `${reason} The job "${job.title}" was stopped.` };
        jobs.fail(job.id, error);
        emit('job.failed', { jobId: job.id, error });
      }
    },
  });

  function fromEngine(m: EngineToHost): void {
    switch (m.kind) {
      case 'job-progress':
        if (jobs.progress(m.jobId, m.progress)) emit('job.progress', { jobId: m.jobId, progress: m.progress });
        return;
      case 'job-done':
        if (jobs.finish(m.jobId, m.result)) emit('job.finished', { jobId: m.jobId, result: m.result });
        return;
      case 'job-failed':
        if (jobs.fail(m.jobId, m.error)) emit('job.failed', { jobId: m.jobId, error: m.error });
        return;
      case 'job-cancelled':
        if (jobs.cancelled(m.jobId)) emit('job.cancelled', { jobId: m.jobId });
        return;
      case 'catalog-changed':
        emit('catalog.changed', { tables: m.tables });
        return;
      default:
        return;
    }
  }

  const catalog = catalogReader(paths.catalog, paths.appRoot, () => writerReadyOnce);
  const { close: closeCatalog, ...catalogReads } = catalog;
  /** The job list names SAEs by name; a catalog that cannot be read leaves the id. */
  const saeNameOf = (saeId: number): string | undefined => {
    try {
      return catalogReads['catalog.saes']({}).find((s) => s.id === saeId)?.name;
    } catch {
      return undefined;
    }
  };

  const hostHandlers: { [C in HostCommandName]: (input: ParsedInput<C>) => CommandOutput<C> } = {
    ...catalogReads,
    'app.doctor': (): DoctorReport => {
      const s = engine.getStatus();
      return {
        app: {
          version: appVersion(paths.appRoot),
          node: process.versions.node,
          electron: process.versions.electron ?? null,
          platform: process.platform,
          arch: process.arch,
          mode,
        },
        engine: { state: s.state, pid: s.pid, restarts: s.restarts, backend: s.backend },
        versions: packageVersions(),
        paths: {
          dataDir: paths.dataDir,
          workspace: paths.workspace,
          catalog: paths.catalog,
          resources: paths.resources,
          bundledModels: paths.bundledModels,
        },
      };
    },
    'jobs.list': () => jobs.list(),
    'jobs.get': ({ jobId }) => {
      const job = jobs.get(jobId);
      if (!job) throw new FeaturescopeError('not_found', `There is no job "${jobId}".`, 'jobId');
      return job;
    },
    'jobs.cancel': ({ jobId }) => {
      const job = jobs.get(jobId);
      if (!job) throw new FeaturescopeError('not_found', `There is no job "${jobId}".`, 'jobId');
      if (job.state !== 'running') return { cancelled: false };
      engine.send({ kind: 'cancel', jobId });
      return { cancelled: true };
    },
  };

  function runOnHost<C extends HostCommandName>(command: C, input: ParsedInput<C>): CommandOutput<C> {
    const handler: (input: ParsedInput<C>) => CommandOutput<C> = hostHandlers[command];
    return handler(input);
  }

  function startJob(command: JobCommandName, input: unknown, caller: CallerKind): { jobId: string } {
    const job = jobs.create(command, commands[command].summary, jobTarget(command, input, saeNameOf));
    emit('job.started', { ...job });
    try {
      engine.send({ kind: 'job', jobId: job.id, command, input, caller });
    } catch (err) {
      const error = toCommandError(err);
      jobs.fail(job.id, error);
      emit('job.failed', { jobId: job.id, error });
    }
    return { jobId: job.id };
  }

  /** Every call, typed or not, lands here: the name and input are parsed against the contract first. */
  async function callUntrusted(command: string, rawInput: unknown, caller: CallerKind = 'browser'): Promise<CallResult> {
    try {
      assertCommandName(command);
      return { ok: true, value: await dispatch(command, rawInput, caller) };
    } catch (err) {
      return { ok: false, error: toCommandError(err) };
    }
  }

  // Host commands (catalog reads, jobs, doctor) name no paths, so only the engine's commands carry the caller.
  function dispatch(command: CommandName, rawInput: unknown, caller: CallerKind): Promise<unknown> | unknown {
    if (isJobCommand(command)) return startJob(command, parseCommandInput(command, rawInput), caller);
    if (isHostCommand(command)) return runOnHost(command, parseCommandInput(command, rawInput));
    return engine.call(command, parseCommandInput(command, rawInput), caller);
  }

  engine.start();

  return {
    // The typed call is in-process (CLI, jobs, tests), never wire input: it alone defaults to 'cli'.
    call: typedCall((command, input, caller) => callUntrusted(command, input, caller ?? 'cli')),
    callUntrusted,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    engine,
    paths,
    close: async () => {
      closeCatalog();
      await engine.stop();
    },
  };
}
