// The shipped tokenizer.json of the default model: @huggingface/tokenizers loads it, encodes
// held-out text exactly as GPT-2's byte-level BPE defines it, and decodes back to the same text.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';

const MODEL_DIR = resolve(__dirname, '../../../resources/models/featurescope-tiny');
const FIXTURE = resolve(__dirname, '../../fixtures/default-model/heldout.json');

interface TokenizerFile {
  added_tokens: { id: number; content: string; special: boolean }[];
  pre_tokenizer: { type: string; use_regex: boolean };
  decoder: { type: string };
  model: { type: string; vocab: Record<string, number>; merges: string[] };
}

const json = JSON.parse(readFileSync(resolve(MODEL_DIR, 'tokenizer.json'), 'utf8')) as TokenizerFile;
const config = JSON.parse(readFileSync(resolve(MODEL_DIR, 'tokenizer_config.json'), 'utf8')) as object;
const samples = (JSON.parse(readFileSync(FIXTURE, 'utf8')) as { samples: { source: string; text: string }[] }).samples;
const tokenizer = new Tokenizer(json, config);

/** GPT-2's bytes_to_unicode, written out independently of the trainer. */
function byteChars(): string[] {
  const keep = (b: number): boolean => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  let extra = 0;
  return Array.from({ length: 256 }, (_, b) => String.fromCodePoint(keep(b) ? b : 256 + extra++));
}

/** Textbook BPE: per regex piece, merge the lowest-ranked adjacent pair until none applies. */
function referenceEncode(text: string): number[] {
  const chars = byteChars();
  const rank = new Map(json.model.merges.map((m, i) => [m, i]));
  const pieces = text.match(/'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu) ?? [];
  const ids: number[] = [];
  for (const piece of pieces) {
    let parts = Array.from(new TextEncoder().encode(piece), (b) => chars[b]!);
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < parts.length; i++) {
        const r = rank.get(`${parts[i]} ${parts[i + 1]}`);
        if (r !== undefined && r < bestRank) [best, bestRank] = [i, r];
      }
      if (best < 0) break;
      parts = [...parts.slice(0, best), parts[best]! + parts[best + 1]!, ...parts.slice(best + 2)];
    }
    for (const p of parts) ids.push(json.model.vocab[p]!);
  }
  return ids;
}

describe('featurescope-tiny tokenizer.json', () => {
  it('is a GPT-2 style byte-level BPE with 256 byte tokens and <|endoftext|> as its last id', () => {
    expect(json.model.type).toBe('BPE');
    expect(json.pre_tokenizer).toMatchObject({ type: 'ByteLevel', use_regex: true });
    expect(json.decoder.type).toBe('ByteLevel');
    const size = Object.keys(json.model.vocab).length;
    expect(size).toBeGreaterThanOrEqual(2048);
    expect(size).toBeLessThanOrEqual(4096);
    expect(json.model.merges.length).toBe(size - 257);
    for (const c of byteChars()) expect(json.model.vocab[c]).toBeLessThan(256);
    expect(json.added_tokens).toEqual([expect.objectContaining({ id: size - 1, content: '<|endoftext|>', special: true })]);
    expect(json.model.vocab['<|endoftext|>']).toBe(size - 1);
  });

  it.each(samples.map((s, i) => [i, s.source] as const))('encodes held-out sample %i (%s) like reference BPE and round-trips it', (i) => {
    const text = samples[i]!.text;
    const ids = tokenizer.encode(text, { add_special_tokens: false }).ids;
    expect(ids).toEqual(referenceEncode(text));
    expect(tokenizer.decode(ids, { skip_special_tokens: false })).toBe(text);
    // A trained BPE compresses: well over one byte per token on text like its corpus.
    expect(new TextEncoder().encode(text).length / ids.length).toBeGreaterThan(1.6);
  });

  it('round-trips bytes it never saw in training (emoji, CJK, control characters)', () => {
    const text = 'naïve 🙂 漢字\t\r\n\u0000 <|endoftext|> end';
    const ids = tokenizer.encode(text, { add_special_tokens: false }).ids;
    expect(ids).toContain(json.model.vocab['<|endoftext|>']);
    expect(tokenizer.decode(ids, { skip_special_tokens: false })).toBe(text);
  });
});
