// Writer leases (migration 0006): at most one writer per job output, across every process that
// opens the workspace (the app, `serve`, CLI jobs). A job takes the lease of its output before it
// starts and gives it back when it ends, however it ends; while it runs a heartbeat keeps the
// lease fresh. A second writer of the same output is refused with a message naming the first.
//
// When is a holder gone? On this machine: its pid is not alive (a SIGKILLed writer's lease is free
// as soon as the process is). On another machine sharing the folder we cannot see its processes:
// its heartbeat must be older than OTHER_HOST_TIMEOUT_MS. A lease with this process's own pid is
// alive only while this process holds it (the row may be from an earlier process with our pid).
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { FeaturescopeError } from '../shared/errors';
import { processAlive } from '../node/process-alive';
import type { Catalog } from './open';

export const HEARTBEAT_MS = 10_000;
/**
 * A lease of another machine counts as gone once its heartbeat is this old. Generous: a writer's
 * event loop can be busy for tens of seconds in one synchronous step (an analysis commit).
 */
export const OTHER_HOST_TIMEOUT_MS = 5 * 60_000;

/** The lease keys of the outputs jobs write. */
export const leaseOutputs = {
  /** The running analysis of one SAE (catalog rows). */
  analysis: (saeId: number) => `analysis:${saeId}`,
  /** One capture folder (its activation stores and capture.json). */
  capture: (folder: string) => `capture:${folder}`,
  /** One SAE name: its training checkpoints, its SAELens folder and its catalog row. */
  sae: (name: string) => `sae:${name}`,
  /** A job that reads one SAE (evaluate, analyse, scan…): any number at once; its delete and rename wait for none. */
  saeUse: (saeId: number, jobId: string) => `${SAE_USE_PREFIX}${saeId}:${jobId}`,
  /** One trained model name (sparse.train): its checkpoints and its models/<name> folder. */
  model: (name: string) => `model:${name}`,
};

const SAE_USE_PREFIX = 'sae-use:';

/** The live leases of jobs that use an SAE (leaseOutputs.saeUse). */
export function liveSaeUses(catalog: Catalog, saeId: number): LeaseRow[] {
  const rows = catalog.statement(`${SELECT} WHERE substr(output, 1, ?) = ?`).all(`${SAE_USE_PREFIX}${saeId}:`.length, `${SAE_USE_PREFIX}${saeId}:`) as LeaseRow[];
  return rows.filter((row) => leaseHolderAlive(row));
}

export interface LeaseRow {
  output: string;
  leaseId: string;
  pid: number;
  host: string;
  command: string;
  job: string;
  startedAt: number;
  heartbeatAt: number;
}

/** Who is writing: the command the user ran, and the engine job. */
export interface WriterIdentity {
  command: string;
  job: string;
}

export interface WriterLease {
  readonly output: string;
  /** The gone writer's lease this one replaced, if any. */
  readonly tookOver: LeaseRow | null;
  /** Give the lease back (idempotent). */
  release(): void;
}

/** Lease ids this process holds right now. */
const held = new Set<string>();

const SELECT = `SELECT output, lease_id AS leaseId, pid, host, command, job, started_at AS startedAt, heartbeat_at AS heartbeatAt FROM writer_leases`;

export function leaseHolderAlive(row: LeaseRow, now: number = Date.now()): boolean {
  if (row.host !== hostname()) return now - row.heartbeatAt < OTHER_HOST_TIMEOUT_MS;
  if (row.pid === process.pid) return held.has(row.leaseId);
  return processAlive(row.pid);
}

/** The lease on `output` if its holder is alive. */
export function liveLease(catalog: Catalog, output: string): LeaseRow | undefined {
  const row = catalog.statement(`${SELECT} WHERE output = ?`).get(output) as LeaseRow | undefined;
  return row !== undefined && leaseHolderAlive(row) ? row : undefined;
}

/**
 * Take the lease on `output`, or refuse with a message naming the process that holds it.
 * `what` names the output for that message, e.g. `the analysis of SAE "s1"`.
 */
export function takeLease(catalog: Catalog, output: string, what: string, who: WriterIdentity): WriterLease {
  const leaseId = randomUUID();
  const now = Date.now();
  const tookOver = catalog.db
    .transaction(() => {
      const previous = catalog.statement(`${SELECT} WHERE output = ?`).get(output) as LeaseRow | undefined;
      if (previous !== undefined && leaseHolderAlive(previous, now)) throw refusal(what, previous);
      catalog
        .statement(
          `INSERT OR REPLACE INTO writer_leases (output, lease_id, pid, host, command, job, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(output, leaseId, process.pid, hostname(), who.command, who.job, now, now);
      return previous ?? null;
    })
    .immediate();
  held.add(leaseId);

  const beat = setInterval(() => heartbeat(catalog, output, leaseId), HEARTBEAT_MS);
  beat.unref(); // a lease never keeps a process alive on its own
  let released = false;
  return {
    output,
    tookOver,
    release() {
      if (released) return;
      released = true;
      clearInterval(beat);
      held.delete(leaseId);
      // If this delete fails the row stays, but with our pid and an id we no longer hold it reads as gone.
      try {
        if (catalog.db.open) catalog.statement(`DELETE FROM writer_leases WHERE output = ? AND lease_id = ?`).run(output, leaseId);
      } catch {
        // see above
      }
    },
  };
}

/**
 * One heartbeat. It must not stall the engine behind another process's long write transaction,
 * so it does not wait for the lock: a busy beat is skipped and the next one tries again.
 */
function heartbeat(catalog: Catalog, output: string, leaseId: string): void {
  if (!catalog.db.open) return;
  const waitMs = catalog.db.pragma('busy_timeout', { simple: true }) as number;
  catalog.db.pragma('busy_timeout = 0');
  try {
    catalog.statement(`UPDATE writer_leases SET heartbeat_at = ? WHERE output = ? AND lease_id = ?`).run(Date.now(), output, leaseId);
  } catch {
    // SQLITE_BUSY: skipped, see above
  } finally {
    catalog.db.pragma(`busy_timeout = ${waitMs}`);
  }
}

function refusal(what: string, holder: LeaseRow): FeaturescopeError {
  return new FeaturescopeError('failed', `${capitalise(what)} is already being written by another process: ${describeHolder(holder)}. Wait for it to finish or stop it, then run this again.`);
}

/** Who holds a lease, in the user's words: pid, host, since when, the command and job. */
export function describeHolder(holder: LeaseRow): string {
  const since = new Date(holder.startedAt).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  const where = `host ${holder.host}${holder.host === hostname() ? ' (this machine)' : ''}`;
  return `pid ${holder.pid} on ${where}, since ${since}, running "${holder.command}" (job ${holder.job})`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
