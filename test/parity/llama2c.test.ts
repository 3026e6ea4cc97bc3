// The llama2c importer against llama2.c itself, on Karpathy's stories260K:
// - the converted folder's forward matches scripts/reference/llama2c_reference.py (run.c's math in
//   numpy, on the .bin files, not on our output) at a few positions;
// - the converted tokenizer.json encodes as run.c's encoder does;
// - greedy decoding from BOS alone reproduces the published sample (stories260K.md) — through the
//   bundled folder, which must be what the converter makes of the shipped .bin files.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoadedModel, loadModel } from '../../src/engine/model/load';
import { convertLlama2c, CONVERTED_FILES } from '../../src/engine/formats/llama2c-convert';
import { runPrompt } from '../../src/engine/session/run-prompt';
import { RunInput } from '../../src/shared/contract';
import { useWasm } from './modelFixtures';

const SOURCE = resolve(__dirname, '../../../../shared/models/stories260K');
const BUNDLED = resolve(__dirname, '../../resources/models/stories260K');
const REFERENCE = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/llama2c/stories260K-reference.json'), 'utf8')) as {
  forward: { tokens: number[]; positions: number[]; logits: number[][] };
  encode: Array<{ text: string; ids: number[] }>;
  greedy: { tokens: number[]; text: string };
};

/** The sample stories260K.md publishes for `./run stories260K.bin -z tok512.bin -t 0.0`. */
function publishedSample(): string {
  const md = readFileSync(join(BUNDLED, 'stories260K.md'), 'utf8');
  const block = md.split('-t 0.0\n')[1]?.split('\n```')[0];
  if (block === undefined) throw new Error('stories260K.md has no greedy sample block');
  return block;
}

describe('llama2c import of stories260K', () => {
  let dir: string;
  let model: LoadedModel;

  beforeAll(async () => {
    await useWasm();
    dir = mkdtempSync(join(tmpdir(), 'llama2c-'));
    convertLlama2c(join(SOURCE, 'stories260K.bin'), join(SOURCE, 'tok512.bin'), dir);
    model = await loadModel(dir);
  });
  afterAll(() => {
    model?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the bundled folder is exactly what the converter writes from the shipped .bin files', () => {
    for (const file of CONVERTED_FILES) expect(readFileSync(join(BUNDLED, file)).equals(readFileSync(join(dir, file))), file).toBe(true);
  });

  it("the forward matches run.c's math (numpy reference) at positions 0, 1, middle and last", () => {
    const { tokens, positions, logits: want } = REFERENCE.forward;
    const { logits } = model.run([tokens]);
    const got = logits.arraySync()[0]!;
    logits.dispose();
    positions.forEach((p, i) => {
      const ref = want[i]!;
      const scale = Math.max(...ref.map(Math.abs));
      const err = Math.max(...ref.map((v, j) => Math.abs(got[p]![j]! - v))) / scale;
      expect(err, `position ${p}`).toBeLessThan(1e-4);
    });
  });

  it("tokenizer.json encodes as run.c's encoder (BOS, dummy space, best-score merges, byte fallback)", () => {
    for (const { text, ids } of REFERENCE.encode) expect(model.tokenizer.encode(text), JSON.stringify(text)).toEqual(ids);
    const sample = publishedSample();
    const ids = model.tokenizer.encode(sample);
    expect(model.tokenizer.decode(ids.slice(1))).toBe(sample);
  });

  it('greedy decoding from BOS alone (an empty prompt) reproduces the published sample’s first 200 characters', async () => {
    const bundled = await loadModel(BUNDLED);
    try {
      const input = RunInput.parse({ model: BUNDLED, prompt: '', generate: { maxNewTokens: 120 } });
      const { output } = await runPrompt(bundled, input, [], undefined);
      expect(output.tokens.map((t) => t.id)).toEqual([1]); // BOS alone
      const want = publishedSample().slice(0, 200);
      expect(want.length).toBe(200);
      expect(output.continuation!.text.slice(0, 200)).toBe(want);
      const referenceIds = REFERENCE.greedy.tokens.slice(1);
      expect(output.continuation!.tokens.map((t) => t.id).slice(0, referenceIds.length)).toEqual(referenceIds);
    } finally {
      bundled.dispose();
    }
  });
});
