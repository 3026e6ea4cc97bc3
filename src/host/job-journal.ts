// The jobs of earlier sessions: every host (app, serve, CLI) appends a line when a job starts and
// when it ends to the workspace's jobs.jsonl, and reads the file back at start, so the Jobs view
// still shows yesterday's training run with its charts and result.
//
// A job whose last line is its start belonged to a process that is gone (killed, crashed, closed
// mid-job): it is shown as failed with that said. One whose process is still alive is another
// host's running job and is left out. A line that does not parse (a write cut short by a crash) is
// skipped. Appends are single writes to an O_APPEND file, so two hosts on one workspace do not tear
// each other's lines; the file is rewritten (temp file, rename) only when it holds far more lines
// than the jobs it keeps.
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { JobInfo } from '../shared/contract';
import { processAlive } from '../node/process-alive';

/** Jobs of earlier sessions shown at most. */
export const KEPT_JOBS = 200;

const Line = z.object({ event: z.enum(['started', 'ended']), pid: z.number().int(), job: z.unknown() });
/** What a job needs to be listed; used when the whole record does not parse (e.g. a NaN metric written as null). */
const JobCore = JobInfo.pick({ id: true, command: true, title: true, target: true, state: true, startedAt: true, endedAt: true, error: true });

interface Entry {
  event: 'started' | 'ended';
  pid: number;
  job: JobInfo;
}

function entryOf(text: string): Entry | undefined {
  const line = Line.safeParse(safeJson(text));
  if (!line.success) return undefined;
  const full = JobInfo.safeParse(line.data.job);
  const job = full.success ? full.data : JobCore.safeParse(line.data.job).data;
  return job === undefined ? undefined : { event: line.data.event, pid: line.data.pid, job };
}

export class JobJournal {
  constructor(readonly path: string) {}

  started(job: JobInfo): void {
    this.append({ event: 'started', pid: process.pid, job });
  }

  ended(job: JobInfo): void {
    this.append({ event: 'ended', pid: process.pid, job });
  }

  /** The kept jobs of earlier sessions, oldest first. */
  load(): JobInfo[] {
    if (!existsSync(this.path)) return [];
    const last = new Map<string, Entry>();
    let lines = 0;
    for (const text of readFileSync(this.path, 'utf8').split('\n')) {
      if (text.trim() === '') continue;
      lines++;
      const entry = entryOf(text);
      if (entry) {
        last.delete(entry.job.id); // re-inserted: Map order follows the latest line
        last.set(entry.job.id, entry);
      }
    }
    const jobs: JobInfo[] = [];
    for (const { event, pid, job } of last.values()) {
      if (event === 'ended') jobs.push(job);
      else if (!otherProcessAlive(pid)) jobs.push(interrupted(job));
    }
    const kept = jobs.slice(-KEPT_JOBS);
    if (lines > 4 * KEPT_JOBS) this.rewrite(kept);
    return kept;
  }

  private append(line: Entry): void {
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      appendFileSync(this.path, `${JSON.stringify(line)}\n`);
    } catch {
      // The record is a convenience: a workspace we cannot write to must not fail the job.
    }
  }

  private rewrite(jobs: JobInfo[]): void {
    try {
      const temp = `${this.path}.${process.pid}.tmp`;
      writeFileSync(temp, jobs.map((job) => `${JSON.stringify({ event: 'ended', pid: process.pid, job })}\n`).join(''));
      renameSync(temp, this.path);
    } catch {
      // Left long; the next start tries again.
    }
  }
}

function interrupted(job: JobInfo): JobInfo {
  return {
    ...job,
    state: 'failed',
    error: { code: 'failed', message: 'The app stopped while this job was running. Run it again: captures and training resume where their last checkpoint left off.' },
  };
}

function otherProcessAlive(pid: number): boolean {
  if (pid === process.pid) return false; // our own pid from an earlier life: that process is gone
  return processAlive(pid);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
