// Crash-safe file writes: a reader (or a resumed job after kill -9) sees either the old file or
// the complete new one, never a torn one. Temp file in the same directory (rename is atomic only
// within one filesystem), write, fsync the file, rename over the target, fsync the directory so
// the rename itself survives a power loss.

import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { FeaturescopeError } from '../../shared/errors';

/** Writes `data` to `path` atomically. Strings are written as UTF-8. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const writer = AtomicFileWriter.create(path);
  try {
    writer.write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
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
  ) {
    this.fd = fd;
  }

  static create(path: string): AtomicFileWriter {
    const tempPath = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    let fd: number;
    try {
      // 'wx': fail rather than clobber if the random name somehow exists.
      fd = openSync(tempPath, 'wx', 0o644);
    } catch (err) {
      throw new FeaturescopeError('failed', `cannot create a temporary file next to ${path}: ${(err as Error).message}`);
    }
    return new AtomicFileWriter(path, tempPath, fd);
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
      const n = writeSync(fd, chunk, offset, Math.min(chunk.byteLength - offset, 1 << 30), this.position);
      offset += n;
      this.position += n;
    }
  }

  commit(): void {
    const fd = this.openFd();
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
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
