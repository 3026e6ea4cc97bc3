// A task's examples as forward batches: prompts of one length run together (no padding, as in
// task-eval.ts), in a fixed order so every loss and metric lines up example by example.
import type { TokenizedExample } from '../tasks/task-file';

export interface TaskBatch {
  tokens: number[][];
  target: number[];
  alternative: number[];
}

const BATCH = 64;

export function taskBatches(examples: TokenizedExample[]): TaskBatch[] {
  const byLength = new Map<number, TokenizedExample[]>();
  for (const e of examples) byLength.set(e.tokens.length, [...(byLength.get(e.tokens.length) ?? []), e]);
  const out: TaskBatch[] = [];
  for (const group of [...byLength.entries()].sort((a, b) => a[0] - b[0]).map(([, g]) => g)) {
    for (let s = 0; s < group.length; s += BATCH) {
      const part = group.slice(s, s + BATCH);
      out.push({ tokens: part.map((e) => e.tokens), target: part.map((e) => e.target), alternative: part.map((e) => e.alternative) });
    }
  }
  return out;
}
