// Issue #15: a Gemma-2 at the real widths of Gemma-2-2B (d_model 2304, 8/4 heads of 256,
// intermediate 9216), 2 layers and a 32,000-token vocabulary, stored BF16, run with the memory plan
// made to stream (a backend limit under the resident peak): logits within 1e-4 of PyTorch's forward
// of the same file, ids on both sides of the 16,384-row unembedding chunk boundary, and greedy
// generation equal to torch's. The folder and torch's logits come from
// scripts/reference/real_width_gemma2.py (Debian's /usr/bin/python3 with torch), kept in the temp
// folder between runs.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedModel, loadModel, planModelFolder } from '../../src/engine/model/load';
import { relativeError, useWasm } from './modelFixtures';

const SCRIPT = resolve(__dirname, '../../scripts/reference/real_width_gemma2.py');
const DIR = join(tmpdir(), 'featurescope-real-width-gemma2');
const LOGITS = join(tmpdir(), 'featurescope-real-width-gemma2.logits.f32');
const VOCAB = 32_000;
// BOS, small ids, the last row of the first chunk, the first of the second, the last token.
const TOKENS = [[2, 17, 900, 16_383, 16_384, 31_999, 5, 7]];
const GREEDY = 3;
const PLENTY = 1e12;

describe('Gemma-2 at real widths, BF16, streamed layer by layer', () => {
  let model: LoadedModel;
  let torchGreedy: number[];

  beforeAll(async () => {
    const py = spawnSync('/usr/bin/python3', [SCRIPT, '--out', DIR, '--tokens', JSON.stringify(TOKENS), '--logits-out', LOGITS, '--greedy', String(GREEDY)], { encoding: 'utf8', timeout: 600_000 });
    if (py.status !== 0) throw new Error(`real_width_gemma2.py failed (status ${py.status}): ${py.stderr}`);
    torchGreedy = (JSON.parse(py.stdout.trim().split('\n').pop() ?? '{}') as { greedy: number[] }).greedy;
    await useWasm();
    const plenty = { backend: 'wasm', backendLimitBytes: PLENTY, freeBytes: PLENTY };
    const resident = planModelFolder(DIR, plenty);
    model = await loadModel(DIR, { memoryLimits: { ...plenty, backendLimitBytes: resident.peakBackendBytes - 1 } });
  }, 900_000);
  afterAll(() => model?.dispose());

  it('plans to stream: the layers are what streams, in their stored BF16', () => {
    const p = model.memoryPlan;
    expect(p.mode).toBe('stream');
    expect(p.fits).toBe(true);
    expect(p.storedDtypes).toEqual(['BF16']);
    const perLayer = 2304 * (2048 + 2 * 1024) + 2048 * 2304 + 3 * 2304 * 9216 + 4 * 2304;
    expect(p.parameters).toBe(VOCAB * 2304 + 2 * perLayer + 2304);
    expect(p.storedBytes).toBe(2 * p.parameters);
    expect(p.largestLayerBytes).toBe(4 * perLayer);
    expect(p.residentBytes).toBe(4 * 2304); // the final norm only
  });

  it('logits match PyTorch to 1e-4 relative, across the vocabulary chunk boundary', () => {
    const { logits, captured } = model.run(TOKENS);
    for (const t of captured.values()) t.dispose();
    expect(logits.shape).toEqual([1, TOKENS[0]!.length, VOCAB]);
    const ours = logits.dataSync();
    logits.dispose();
    const bytes = readFileSync(LOGITS);
    const theirs = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    expect(theirs.length).toBe(ours.length);
    expect(relativeError(ours, theirs, [1, TOKENS[0]!.length, VOCAB], [TOKENS[0]!.map(() => 1)])).toBeLessThanOrEqual(1e-4);
    // Only the final norm stays in the backend between runs: every layer and head chunk was released.
    expect(tf.memory().numTensors).toBe(1);
  }, 300_000);

  it('greedy generation through the KV cache equals torch full-sequence argmax', async () => {
    const out: number[] = [];
    for await (const t of model.generate(TOKENS[0]!, { maxNewTokens: GREEDY, stopTokens: [] })) out.push(t.token);
    expect(out).toEqual(torchGreedy);
  }, 300_000);
});
