// Child process for the kill -9 / resume test: trains (resuming from checkpointDir if it holds
// a checkpoint) and writes the final weights as JSON to outFile.
// Usage: node --import tsx trainChild.ts <checkpointDir> <outFile>
import { writeFileSync } from 'node:fs';
import { initBackend } from '../../../../src/engine/backend/index';
import { resumeRun } from './resumeRun';

async function main(): Promise<void> {
  const [dir, out] = process.argv.slice(2);
  if (dir === undefined || out === undefined) throw new Error('usage: trainChild.ts <checkpointDir> <outFile>');
  await initBackend();
  const r = await resumeRun(dir);
  const w = r.sae.weights;
  writeFileSync(
    out,
    JSON.stringify({
      resumedFromStep: r.resumedFromStep ?? null,
      step: r.step,
      W_enc: Array.from(w.W_enc.dataSync()),
      W_dec: Array.from(w.W_dec.dataSync()),
      threshold: Array.from(w.threshold!.dataSync()),
    }),
  );
}

void main();
