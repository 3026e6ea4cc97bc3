// Writer leases trust pid liveness; a zombie (dead, not yet reaped) must not count as alive, or a
// SIGKILLed engine's lease blocks the next writer until its new parent gets round to reaping it.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { processAlive } from '../../../src/node/process-alive';

describe('processAlive', () => {
  it('is true for a running process and false for one that is gone', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(2 ** 22 + 12345)).toBe(false); // above Linux's pid_max
  });

  it.runIf(process.platform === 'linux')('is false for a zombie, which signal 0 still reaches', async () => {
    // `sleep 0` exits at once; its parent exec's into `sleep 5`, which never reaps it: a zombie for 5 s.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const pid = Number((await new Promise<Buffer>((resolve) => parent.stdout.once('data', resolve))).toString().trim());
      for (let i = 0; i < 100 && !/\) Z /.test(readStat(pid)); i++) await new Promise((r) => setTimeout(r, 20));
      expect(readStat(pid)).toMatch(/\) Z /);
      expect(() => process.kill(pid, 0)).not.toThrow();
      expect(processAlive(pid)).toBe(false);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});

function readStat(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return '';
  }
}
