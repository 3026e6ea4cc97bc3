import { readFileSync } from 'node:fs';

/**
 * Whether a process with this pid is running on this machine (signal 0 probes without signalling).
 * A zombie answers signal 0 too: a SIGKILLed engine whose parent died first stays one until its new
 * parent reaps it, and must not keep its writer lease meanwhile, so on Linux /proc's state decides.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, owned by someone else
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  if (process.platform !== 'linux') return false;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return true; // gone between the probe and the read
  }
  // "pid (comm) state …": comm may hold spaces and parentheses, so the state follows the last ')'.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state === 'Z' || state === 'X';
}
