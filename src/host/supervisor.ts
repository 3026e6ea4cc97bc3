import type { BackendInfo, EngineState } from '../shared/contract';
import type { CallerKind, EngineToHost, HostToEngine } from '../shared/engine-protocol';
import { FeaturescopeError } from '../shared/errors';
import type { EngineProcess, SpawnEngine } from './engine-process';

export interface EngineStatus {
  state: EngineState;
  pid: number | null;
  backend: BackendInfo | null;
  restarts: number;
  message?: string;
}

interface PendingCall {
  resolve: (value: unknown) => void;
  reject: (err: FeaturescopeError) => void;
}

/** Crashing this many times in a row before ever becoming ready means restarting will not help. */
const MAX_FAILED_STARTS = 3;

/**
 * Starts the engine process, correlates calls with replies, and restarts the engine when it
 * dies. Whoever owns the supervisor learns of deaths through `onExit` (to fail running jobs).
 */
export class EngineSupervisor {
  private proc: EngineProcess | null = null;
  private nextCallId = 1;
  private readonly pending = new Map<number, PendingCall>();
  private stopping = false;
  private failedStarts = 0;
  private stderrTail = '';
  private readonly readyWaiters = new Set<(status: EngineStatus) => void>();
  private readonly status: EngineStatus = { state: 'stopped', pid: null, backend: null, restarts: 0 };

  constructor(
    private readonly spawn: SpawnEngine,
    private readonly listeners: {
      onMessage: (message: EngineToHost) => void;
      onStatus: (status: EngineStatus) => void;
      onExit: (reason: string) => void;
    },
  ) {}

  getStatus(): EngineStatus {
    return { ...this.status };
  }

  start(): void {
    this.stopping = false;
    this.launch();
  }

  /** A plain command: resolves with the engine's value or rejects with its error. */
  call(command: string, input: unknown, caller: CallerKind = 'cli'): Promise<unknown> {
    if (!this.proc) return Promise.reject(this.unavailable());
    const id = this.nextCallId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.proc!.send({ kind: 'call', id, command, input, caller });
    });
  }

  /** Fire-and-forget messages (jobs, cancels); their answers come back through onMessage. */
  send(message: HostToEngine): void {
    if (!this.proc) throw this.unavailable();
    this.proc.send(message);
  }

  /** Resolves once the engine has picked its backend; rejects if it gives up starting or takes too long. */
  whenReady(timeoutMs = 60_000): Promise<EngineStatus> {
    if (this.status.state === 'ready') return Promise.resolve(this.getStatus());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.readyWaiters.delete(waiter);
        reject(new FeaturescopeError('engine_unavailable', `The engine did not start within ${Math.round(timeoutMs / 1000)} s.`));
      }, timeoutMs);
      const waiter = (status: EngineStatus) => {
        if (status.state === 'ready' || status.state === 'stopped') {
          clearTimeout(timer);
          this.readyWaiters.delete(waiter);
          if (status.state === 'ready') resolve(status);
          else reject(new FeaturescopeError('engine_unavailable', status.message ?? 'The engine stopped.'));
        }
      };
      this.readyWaiters.add(waiter);
    });
  }

  /** For tests and doctor: the engine's OS process id. */
  get pid(): number | null {
    return this.status.pid;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const proc = this.proc;
    if (!proc) return;
    await new Promise<void>((resolve) => {
      proc.onExit(() => resolve());
      proc.kill();
    });
  }

  private launch(): void {
    const proc = this.spawn();
    this.proc = proc;
    this.stderrTail = '';
    this.setStatus({ state: this.status.restarts > 0 ? 'restarting' : 'starting', pid: proc.pid ?? null, backend: null });
    proc.onStderr((text) => {
      this.stderrTail = (this.stderrTail + text).slice(-2000);
      process.stderr.write(text);
    });
    proc.onMessage((message) => this.receive(message));
    proc.onExit((reason) => this.exited(proc, reason));
  }

  private receive(message: EngineToHost): void {
    if (message.kind === 'ready') {
      this.failedStarts = 0;
      this.setStatus({ state: 'ready', pid: message.pid, backend: message.backend, message: undefined });
      return;
    }
    if (message.kind === 'reply') {
      const call = this.pending.get(message.id);
      if (!call) return;
      this.pending.delete(message.id);
      if (message.ok) call.resolve(message.value);
      else call.reject(new FeaturescopeError(message.error.code, message.error.message, message.error.field));
      return;
    }
    this.listeners.onMessage(message);
  }

  private exited(proc: EngineProcess, reason: string): void {
    if (this.proc !== proc) return;
    this.proc = null;
    const lastLine = this.stderrTail.trim().split('\n').pop();
    const why = `The engine process ${reason}${lastLine ? `: ${lastLine}` : ''}.`;
    for (const call of this.pending.values()) call.reject(new FeaturescopeError('engine_crashed', why));
    this.pending.clear();
    this.listeners.onExit(why);
    if (this.stopping) {
      this.setStatus({ state: 'stopped', pid: null, backend: null });
      return;
    }
    if (this.status.state !== 'ready') this.failedStarts++;
    if (this.failedStarts >= MAX_FAILED_STARTS) {
      this.setStatus({ state: 'stopped', pid: null, backend: null, message: `${why} It failed to start ${this.failedStarts} times; run "featurescope doctor".` });
      return;
    }
    this.status.restarts++;
    this.setStatus({ state: 'restarting', pid: null, backend: null, message: why });
    setTimeout(() => {
      if (!this.stopping) this.launch();
    }, 250 * this.failedStarts);
  }

  private unavailable(): FeaturescopeError {
    return new FeaturescopeError('engine_unavailable', `The engine is ${this.status.state}${this.status.message ? ` (${this.status.message})` : ''}; try again in a moment.`);
  }

  private setStatus(patch: Partial<EngineStatus>): void {
    Object.assign(this.status, patch);
    if (patch.message === undefined && 'message' in patch) delete this.status.message;
    const status = this.getStatus();
    this.listeners.onStatus(status);
    for (const waiter of [...this.readyWaiters]) waiter(status);
  }
}
