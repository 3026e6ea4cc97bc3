/**
 * Disposal that waits until no command is at work. The engine's caches evict least recently used
 * models and SAEs, but an evicted one may still be in use: a capture or scan job holds it for
 * minutes while the playground opens others. Evicted things are retired here and disposed once the
 * engine is idle (`begin`/`end` around every call and job).
 */
export class IdleDisposer {
  private active = 0;
  private retired: Array<() => void> = [];

  /** A command starts: nothing retired from now on is disposed until it ends. */
  begin(): void {
    this.active++;
  }

  /** A command ended: with none left at work, everything retired is disposed. */
  end(): void {
    this.active = Math.max(0, this.active - 1);
    if (this.active === 0) this.flush();
  }

  /** Dispose now if nothing is at work, else once nothing is. */
  retire(dispose: () => void): void {
    this.retired.push(dispose);
    if (this.active === 0) this.flush();
  }

  private flush(): void {
    const due = this.retired;
    this.retired = [];
    for (const d of due) d();
  }
}
