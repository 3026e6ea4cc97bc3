import type { Progress } from '../shared/contract';
import { formatProgress } from './format';

let progressShown = false;
/** A job's progress as one stderr line, redrawn in place on a terminal. */
export function progressToStderr(): (p: Progress) => void {
  return (p) => {
    const line = formatProgress(p);
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${line}`);
    else process.stderr.write(`${line}\n`);
    progressShown = true;
  };
}
export function clearProgress(): void {
  if (progressShown && process.stderr.isTTY) process.stderr.write('\n');
  progressShown = false;
}
