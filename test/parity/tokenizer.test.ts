// Tokenizer parity: tokenizer.json read by @huggingface/tokenizers must give the ids of the
// reference byte-level BPE (GPT-2's algorithm) in scripts/reference/make_model_fixtures.py,
// decode back to the text, and add BOS only where tokenizer_config.json asks for it.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelTokenizer } from '../../src/engine/model/tokenizer';
import { MODEL_FIXTURES } from './modelFixtures';

interface TokenizerCases {
  eos_id: number;
  bos_id: number;
  cases: { text: string; ids: number[] }[];
}

const fixture = JSON.parse(readFileSync(join(MODEL_FIXTURES, 'tokenizer_cases.json'), 'utf8')) as TokenizerCases;
const open = (model: string): ModelTokenizer =>
  ModelTokenizer.fromFiles(join(MODEL_FIXTURES, model, 'tokenizer.json'), join(MODEL_FIXTURES, model, 'tokenizer_config.json'));

describe('byte-level BPE tokenizer against the Python reference', () => {
  const gpt2 = open('gpt2'); // add_bos_token false
  const llama = open('llama'); // add_bos_token true, bos "<s>"

  it.each(fixture.cases.map((c) => [JSON.stringify(c.text), c] as const))('%s encodes to the reference ids and decodes back', (_label, c) => {
    expect(gpt2.encode(c.text)).toEqual(c.ids);
    expect(gpt2.decode(c.ids)).toBe(c.text);
  });

  it('uses merges, not only single bytes (the fixture is not trivially byte-per-token)', () => {
    const first = fixture.cases[0];
    expect(first).toBeDefined();
    expect(first!.ids.length).toBeLessThan(new TextEncoder().encode(first!.text).length);
    expect(first!.ids.some((id) => id >= 256)).toBe(true);
  });

  it('adds BOS where tokenizer_config.json says add_bos_token, and only with special tokens on', () => {
    const c = fixture.cases[1]!;
    expect(llama.bosTokenId).toBe(fixture.bos_id);
    expect(llama.eosTokenId).toBe(fixture.eos_id);
    expect(llama.encode(c.text)).toEqual([fixture.bos_id, ...c.ids]);
    expect(llama.encode(c.text, { addSpecialTokens: false })).toEqual(c.ids);
    expect(gpt2.encode(c.text)).toEqual(c.ids);
    expect(llama.decode([fixture.bos_id, ...c.ids], { skipSpecialTokens: true })).toBe(c.text);
  });

  it('maps the special token text to its id instead of splitting it into bytes', () => {
    const the = gpt2.encode('the');
    expect(the.length).toBeGreaterThan(0);
    expect(gpt2.encode('the<|endoftext|>')).toEqual([...the, fixture.eos_id]);
  });

  it('encodes a batch like one text at a time', () => {
    const texts = fixture.cases.map((c) => c.text);
    expect(llama.encodeMany(texts)).toEqual(texts.map((t) => llama.encode(t)));
    expect(gpt2.encodeMany(texts)).toEqual(fixture.cases.map((c) => c.ids));
  });

  it('reports token strings for display', () => {
    expect(gpt2.tokenStrings([fixture.eos_id])).toEqual(['<|endoftext|>']);
  });

  it('takes token text in context exactly as GPT-2 decoded it alone, but for partial UTF-8 bytes', () => {
    const vocab = JSON.parse(readFileSync(join(MODEL_FIXTURES, 'gpt2', 'tokenizer.json'), 'utf8')).model.vocab as Record<string, number>;
    let partial = 0;
    for (const id of Object.values(vocab)) {
      const alone = gpt2.decode([id]);
      if (alone.includes('\uFFFD')) {
        partial++;
        expect(gpt2.tokenText(id)).toMatch(/<0x[0-9A-F]{2}>/); // its bytes, not "�"
      } else expect(gpt2.tokenText(id)).toBe(alone);
    }
    expect(partial).toBeGreaterThan(0); // bytes 0x80-0xFF alone are never whole characters
    for (const c of fixture.cases) expect(gpt2.tokenTexts(c.ids).join('')).toBe(c.text);
  });

  it('stops an encode that runs past its time box with a clear error', () => {
    const long = 'a '.repeat(200_000);
    expect(() => gpt2.encode(long, { timeoutMs: 1 })).toThrow(/took longer than 1 ms/);
    expect(gpt2.encode('the cat')).toEqual(gpt2.encode('the cat')); // still usable afterwards
  });
});
