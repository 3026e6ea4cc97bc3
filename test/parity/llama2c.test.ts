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
import { readLlama2cTokenizer } from '../../src/engine/formats/llama2c-tokenizer';
import { SeededRandom } from '../../src/engine/random';

// ../shared beside the repository (CI clones main with ../shared next to it).
const SOURCE = resolve(__dirname, '../../../shared/models/stories260K');
const BUNDLED = resolve(__dirname, '../../resources/models/stories260K');
const REFERENCE = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/llama2c/stories260K-reference.json'), 'utf8')) as {
  forward: { tokens: number[]; positions: number[]; logits: number[][] };
  encode: Array<{ text: string; ids: number[] }>;
  greedy: { tokens: number[]; text: string };
};

/** run.c's encode(text, bos=1, eos=0), on its own piece texts (' ' for '▁'): the reference the HF merges must equal. */
function runcEncode(texts: string[], scores: number[], text: string): number[] {
  const lookup = new Map(texts.map((t, i) => [t, i] as const));
  const tokens: number[] = [];
  if (text !== '') tokens.push(lookup.get(' ')!);
  for (const ch of text) {
    const id = lookup.get(ch);
    if (id !== undefined) tokens.push(id);
    else for (const b of Buffer.from(ch, 'utf8')) tokens.push(b + 3);
  }
  for (;;) {
    let best = -1e10;
    let bestId = -1;
    let at = -1;
    for (let i = 0; i + 1 < tokens.length; i++) {
      const id = lookup.get(texts[tokens[i]!]! + texts[tokens[i + 1]!]!);
      if (id !== undefined && scores[id]! > best) [best, bestId, at] = [scores[id]!, id, i];
    }
    if (at === -1) break;
    tokens.splice(at, 2, bestId);
  }
  return [1, ...tokens];
}

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

  it("tokenizer.json agrees with run.c's encode (ported below) on 300 random texts of the vocabulary's pieces, spaces and non-vocabulary characters", () => {
    const { pieces, scores } = readLlama2cTokenizer(join(SOURCE, 'tok512.bin'), 512);
    const texts = pieces.map((p) => p.replaceAll('▁', ' '));
    const alphabet = [...texts.slice(259), ' ', '  ', '\n', 'é', '🙂', '—', '"'];
    const random = new SeededRandom(7);
    for (let n = 0; n < 300; n++) {
      const parts = Array.from({ length: 1 + Math.floor(random.next() * 12) }, () => alphabet[Math.floor(random.next() * alphabet.length)]!);
      const text = parts.join('');
      expect(model.tokenizer.encode(text), JSON.stringify(text)).toEqual(runcEncode(texts, scores, text));
    }
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
