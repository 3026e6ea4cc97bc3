// Token windows: checked against token streams written out by hand from the rules (separator before
// each document; BOS opening every window; special positions masked), resume from every window's
// cursor, and the per-model BOS defaults read from the real fixture tokenizers.

import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CorpusPiece } from '../../../src/engine/capture/corpus';
import { defaultBos, makeWindows, readSpecialTokenIds, type TokenWindow, type WindowSettings } from '../../../src/engine/capture/windows';
import { loadModel } from '../../../src/engine/model/load';

const BOS = 900;
const SPECIAL = 901; // another special token that can appear inside text

/** One character per token: 'a' → 97 …, '#' → SPECIAL (stands for a special token in the text). */
const encode = (text: string): number[] => [...text].map((c) => (c === '#' ? SPECIAL : c.charCodeAt(0)));

/** Documents as pieces; a document given as several strings is split into continuation pieces. */
function piecesOf(docs: string[][]): CorpusPiece[] {
  const out: CorpusPiece[] = [];
  docs.forEach((parts, d) =>
    parts.forEach((text, p) => {
      out.push({ text, startsDocument: p === 0, start: { file: 0, offset: 0, line: d + 1, part: p }, next: p === parts.length - 1 ? { file: 0, offset: 0, line: d + 2, part: 0 } : { file: 0, offset: 0, line: d + 1, part: p + 1 }, where: 'x' });
    }),
  );
  return out;
}

function settings(over: Partial<WindowSettings>): WindowSettings {
  return { contextLength: 5, bos: 'separator', bosTokenId: BOS, maskSpecialTokens: true, specialTokenIds: [SPECIAL], ...over };
}

const tok = (s: string): number[] => encode(s);
const docs = [['abcdef', 'gh'], ['ij#k'], ['lmnopqrstu']];

/** Reads windows starting at a cursor, with the pieces from that cursor on (as readCorpus would). */
function resumeFrom(all: CorpusPiece[], w: TokenWindow, s: WindowSettings): TokenWindow[] {
  const k = all.findIndex((p) => JSON.stringify(p.start) === JSON.stringify(w.next.corpus));
  return [...makeWindows(k === -1 ? [] : all.slice(k), encode, s, w.next)];
}

describe('makeWindows', () => {
  it("'separator': one separator before each document, windows cut from the running stream", () => {
    const windows = [...makeWindows(piecesOf(docs), encode, settings({}))];
    const stream = [BOS, ...tok('abcdefgh'), BOS, ...tok('ij#k'), BOS, ...tok('lmnopqrstu')];
    const expected: number[][] = [];
    for (let i = 0; i < stream.length; i += 5) expected.push(stream.slice(i, i + 5));
    expect(windows.map((w) => w.tokens)).toEqual(expected);
    // separators and the special token are masked, everything else kept
    for (const w of windows) expect([...w.keep]).toEqual(w.tokens.map((t) => (t === BOS || t === SPECIAL ? 0 : 1)));
  });

  it("'prepend': every window opens with BOS, a document start shares it, no BOS-only tail", () => {
    const windows = [...makeWindows(piecesOf(docs), encode, settings({ bos: 'prepend' }))];
    expect(windows.map((w) => w.tokens)).toEqual([
      [BOS, ...tok('abcd')],
      [BOS, ...tok('efgh')],
      [BOS, ...tok('ij#k')], // the document's own BOS opened this window
      [BOS, ...tok('lmno')],
      [BOS, ...tok('pqrs')],
      [BOS, ...tok('tu')],
    ]);
    expect(windows.every((w) => w.keep[0] === 0)).toBe(true);
    // a stream ending exactly at a window edge leaves no lone-BOS window
    expect([...makeWindows(piecesOf([['abcd']]), encode, settings({ bos: 'prepend' }))].map((w) => w.tokens)).toEqual([[BOS, ...tok('abcd')]]);
  });

  it("'none': plain concatenation; masking off keeps special positions", () => {
    const windows = [...makeWindows(piecesOf(docs), encode, settings({ bos: 'none', bosTokenId: null, maskSpecialTokens: false }))];
    expect(windows.flatMap((w) => w.tokens)).toEqual(tok('abcdefghij#klmnopqrstu'));
    expect(windows.every((w) => w.keep.every((k) => k === 1))).toBe(true);
  });

  it.each(['separator', 'prepend', 'none'] as const)("%s: resuming from any window's cursor yields the remaining windows", (bos) => {
    const s = settings({ bos, contextLength: 3 });
    const all = piecesOf(docs);
    const windows = [...makeWindows(all, encode, s)];
    windows.forEach((w, i) => {
      expect(resumeFrom(all, w, s).map((x) => x.tokens)).toEqual(windows.slice(i + 1).map((x) => x.tokens));
    });
  });
});

describe('BOS defaults from the fixture tokenizers', () => {
  const fixtures = resolve(__dirname, '../../fixtures/models');

  it('GPT-2 separates documents with <|endoftext|>; Llama and Gemma-2 prepend <s>', async () => {
    const modes: Record<string, unknown> = {};
    for (const name of ['gpt2', 'llama', 'gemma2']) {
      const model = await loadModel(join(fixtures, name));
      const t = model.tokenizer;
      const addsBos = t.bosTokenId !== null && t.encode('', { addSpecialTokens: true })[0] === t.bosTokenId;
      modes[name] = defaultBos({ family: model.config.family, bosTokenId: t.bosTokenId, eosTokenId: t.eosTokenId, addsBos });
      model.dispose();
    }
    // tokenizer.json of the fixtures: 298 = <|endoftext|>, 299 = <s>
    expect(modes).toEqual({ gpt2: { bos: 'separator', bosTokenId: 298 }, llama: { bos: 'prepend', bosTokenId: 299 }, gemma2: { bos: 'prepend', bosTokenId: 299 } });
    expect(readSpecialTokenIds(join(fixtures, 'gpt2', 'tokenizer.json')).sort()).toEqual([298, 299]);
  });

  it('a tokenizer with neither BOS nor EOS gets no BOS handling', () => {
    expect(defaultBos({ family: 'llama', bosTokenId: null, eosTokenId: null, addsBos: false })).toEqual({ bos: 'none', bosTokenId: null });
  });
});
