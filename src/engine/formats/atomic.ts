// Crash-safe file writes: a reader (or a resumed job after kill -9) sees either the old file or
// the complete new one, never a torn one. Temp file in the same directory (rename is atomic only
// within one filesystem), write, fsync the file, rename over the target, fsync the directory so
// the rename itself survives a power loss.

import { closeSync, fsyncSync, openSync, renameSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { FeaturescopeError } from '../../shared/errors';

/**
 * The disk filled up while writing `path`. Says where, how much the file needed and how much is
 * free, so the user knows what to clear; the target keeps its old content (the temp file is dropped).
 */
export class DiskFullError extends FeaturescopeError {
  constructor(
    readonly path: string,
    /** The file's whole size (at least this many bytes when the writer did not know it). */
    readonly neededBytes: number,
    /** Bytes free for this user on that disk once the partial file is gone, or null if unknown. */
    readonly freeBytes: number | null,
  ) {
    const dir = dirname(path);
    const free = freeBytes === null ? '' : `, ${formatBytes(freeBytes)} are free there`;
    super('failed', `No space left on the disk of ${dir}: ${basename(path)} needs ${formatBytes(neededBytes)}${free}. Nothing was half-written; free some space and run the same command again.`);
  }
}

/** Writes `data` to `path` atomically. Strings are written as UTF-8. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const writer = AtomicFileWriter.create(path, { expectedBytes: bytes.byteLength });
  try {
    writer.write(bytes);
    writer.commit();
  } catch (err) {
    writer.abort();
    throw err;
  }
}

/**
 * Streaming variant for files too large to build in memory (checkpoints, exports):
 * `create`, any number of `write`s, then `commit` — or `abort` to leave the target untouched.
 */
export class AtomicFileWriter {
  private fd: number | undefined;
  private done = false;
  private position = 0;

  private constructor(
    readonly path: string,
    readonly tempPath: string,
    fd: number,
    /** The whole file's size when the caller knows it: a full disk then says how much it needed. */
    private readonly expectedBytes?: number,
  ) {
    this.fd = fd;
  }

  static create(path: string, opts: { expectedBytes?: number } = {}): AtomicFileWriter {
    const tempPath = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    let fd: number;
    try {
      // 'wx': fail rather than clobber if the random name somehow exists.
      fd = openSync(tempPath, 'wx', 0o644);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') throw new DiskFullError(path, opts.expectedBytes ?? 1, freeBytesAt(dirname(path)));
      if (code === 'EROFS') throw new FeaturescopeError('failed', `${path} cannot be written: ${dirname(path)} is on a read-only file system.`);
      if (code === 'EACCES' || code === 'EPERM') throw new FeaturescopeError('failed', `${path} cannot be written: folder ${dirname(path)} is not writable by this user.`);
      throw new FeaturescopeError('failed', `cannot create a temporary file next to ${path}: ${(err as Error).message}`);
    }
    return new AtomicFileWriter(path, tempPath, fd, opts.expectedBytes);
  }

  /** Bytes written so far. */
  get bytesWritten(): number {
    return this.position;
  }

  write(chunk: Uint8Array): void {
    const fd = this.openFd();
    let offset = 0;
    while (offset < chunk.byteLength) {
      // writeSync may write less than asked (large buffers, signals): loop until all is out.
      let n: number;
      try {
        n = writeSync(fd, chunk, offset, Math.min(chunk.byteLength - offset, 1 << 30), this.position);
      } catch (err) {
        throw this.diskFull(err, chunk.byteLength - offset);
      }
      offset += n;
      this.position += n;
    }
  }

  commit(): void {
    const fd = this.openFd();
    try {
      // A delayed allocation can report the full disk only here.
      fsyncSync(fd);
    } catch (err) {
      throw this.diskFull(err, 0);
    } finally {
      // diskFull has closed it already (abort); otherwise it is closed here.
      if (this.fd !== undefined) closeSync(fd);
      this.fd = undefined;
    }
    renameSync(this.tempPath, this.path);
    this.done = true;
    fsyncDirectory(dirname(this.path));
  }

  /** Drops the temp file; the target keeps whatever it had. Safe to call twice or after commit. */
  abort(): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed: nothing to release
      }
      this.fd = undefined;
    }
    if (!this.done) {
      this.done = true;
      try {
        unlinkSync(this.tempPath);
      } catch {
        // never created or already gone
      }
    }
  }

  /** ENOSPC/EDQUOT as a DiskFullError naming the file and the space; other errors unchanged. */
  private diskFull(err: unknown, unwritten: number): unknown {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOSPC' && code !== 'EDQUOT') return err;
    const needed = Math.max(this.expectedBytes ?? 0, this.position + unwritten, 1);
    // Drop the partial file first, so the free space said is what the user really has.
    this.abort();
    return new DiskFullError(this.path, needed, freeBytesAt(dirname(this.path)));
  }

  private openFd(): number {
    if (this.fd === undefined || this.done) {
      throw new FeaturescopeError('internal', `atomic writer for ${this.path} is already committed or aborted`);
    }
    return this.fd;
  }
}

function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (err) {
    // Windows cannot open or fsync a directory; elsewhere a failure here is real.
    if (process.platform !== 'win32') {
      throw new FeaturescopeError('failed', `cannot fsync directory ${dir}: ${(err as Error).message}`);
    }
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Bytes this user may still write on the disk holding `dir`; null when the system cannot say. */
export function freeBytesAt(dir: string): number | null {
  try {
    const s = statfsSync(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}
