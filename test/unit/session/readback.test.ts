// Readbacks never hand a typed array to tf.tidy: tidy walks whatever its callback returns looking
// for tensors, element by element, which made the matmul benchmark report 1.5 GFLOP/s on a backend
// doing 40 and cost a prompt run ~50 ms per 256k-entry vocabulary row. These tests watch what each
// tidy scope returns (the engine's endScope sees it) and check the values read are the right ones.
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { benchmarkMatmul } from '../../../src/engine/handlers/benchmark';
import { createJobContext } from '../../../src/engine/jobs/context';
import { type LoadedModel, loadModel } from '../../../src/engine/model/load';
import { readback } from '../../../src/engine/readback';
import { runPrompt } from '../../../src/engine/session/run-prompt';

const FIXTURE = resolve(__dirname, '../../fixtures/models/gpt2');

/** Every value a tidy scope returned while `fn` ran. */
async function tidyResults(fn: () => Promise<unknown> | unknown): Promise<unknown[]> {
  const engine = tf.engine();
  const results: unknown[] = [];
  const endScope = engine.endScope.bind(engine);
  const spy = vi.spyOn(engine, 'endScope').mockImplementation((result) => {
    results.push(result);
    endScope(result);
  });
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
  return results;
}

const typedArrays = (results: unknown[]) => results.filter((r) => ArrayBuffer.isView(r));

describe('readback outside tf.tidy', () => {
  let model: LoadedModel;
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', threads: 1 });
    model = await loadModel(join(FIXTURE));
  });
  afterAll(() => model.dispose());
  afterEach(() => vi.restoreAllMocks());

  it('reads the values of the tensor it builds and leaves no tensor behind', async () => {
    const before = tf.memory().numTensors;
    let values: ArrayLike<number> = [];
    const returned = await tidyResults(() => {
      values = readback(() => tf.tensor2d([[1, 2], [3, 4]]).matMul(tf.tensor2d([[5, 6], [7, 8]])));
    });
    expect(Array.from(values)).toEqual([19, 22, 43, 50]);
    expect(typedArrays(returned)).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the matmul benchmark times matmuls, not a walk over their results', async () => {
    const ctx = createJobContext('bench', new AbortController().signal, () => {}, () => {});
    let result: Awaited<ReturnType<typeof benchmarkMatmul>> | undefined;
    const returned = await tidyResults(async () => {
      result = await benchmarkMatmul({ size: 64, seconds: 0.2 }, ctx);
    });
    expect(typedArrays(returned)).toEqual([]);
    expect(result!.iterations).toBeGreaterThan(0);
    expect(result!.gflops).toBeCloseTo((2 * 64 ** 3 * result!.iterations) / result!.seconds / 1e9, 6);
  });

  it("a prompt run's next-token table comes from the last row of the logits, read outside tidy", async () => {
    const prompt = 'the cat sat';
    const ids = model.tokenizer.encode(prompt);
    const { logits } = model.run([ids], { lastPositionOnly: false });
    const full = logits.arraySync() as number[][][];
    logits.dispose();
    const lastRow = full[0]![ids.length - 1]!;
    const best = lastRow.indexOf(Math.max(...lastRow));

    let next: Array<{ id: number; logit: number }> = [];
    const returned = await tidyResults(async () => {
      const run = await runPrompt(model, { model: model.dir, prompt, capture: [], interventions: [], topK: 3 }, [], undefined);
      next = run.output.next;
    });
    expect(typedArrays(returned)).toEqual([]);
    expect(next[0]!.id).toBe(best);
    expect(next[0]!.logit).toBeCloseTo(lastRow[best]!, 4);
  });
});
