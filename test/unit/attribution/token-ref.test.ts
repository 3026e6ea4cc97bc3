// The target rule attribution, delta patching and the audit share: an id (or "id:…") passes as
// ids, text that is one token on its own is that token (as before multi-token targets), and
// longer text is the continuation the tokenizer writes after the prompt — checked on the shipped
// featurescope-tiny tokenizer (byte-level BPE) and on the SentencePiece-style llama-sp-tiny
// fixture, whose ids come from the fixture script's own encoder (cases.json), not from the app.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { differenceMetricOf, logprobMetricOf, targetTokens, type TargetContext } from '../../../src/engine/attribution/token-ref';
import { ModelTokenizer } from '../../../src/engine/model/tokenizer';
import { FeaturescopeError } from '../../../src/shared/errors';

const TINY = resolve(__dirname, '../../../resources/models/featurescope-tiny');
const SP = resolve(__dirname, '../../fixtures/models/llama-sp-tiny');
const tiny = ModelTokenizer.fromFiles(resolve(TINY, 'tokenizer.json'), resolve(TINY, 'tokenizer_config.json'));
const sp = ModelTokenizer.fromFiles(resolve(SP, 'tokenizer.json'), resolve(SP, 'tokenizer_config.json'));
const cases = JSON.parse(readFileSync(resolve(SP, 'cases.json'), 'utf8')) as {
  tokenizer: Array<{ text: string; ids: number[]; pieces: string[] }>;
  metric: Array<{ prompt: string; text: string; promptIds: number[]; continuation: number[]; pieces: string[] }>;
};

const tinyCtx = (prompts = ['The cat sat on the']): TargetContext => ({ tokenizer: tiny, vocabSize: 2048, prompts });
const spCtx = (prompts: string[]): TargetContext => ({ tokenizer: sp, vocabSize: 512, prompts });

function errorOf(fn: () => unknown): FeaturescopeError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FeaturescopeError);
    return e as FeaturescopeError;
  }
  throw new Error('expected an error');
}

describe('metric targets', () => {
  it('passes an id through and resolves one-token text to its id, without special tokens (as before)', () => {
    expect(targetTokens(123, 'metric.token', tinyCtx())).toEqual([123]);
    const [the] = tiny.encode(' the', { addSpecialTokens: false });
    expect(targetTokens(' the', 'metric.token', tinyCtx())).toEqual([the]);
    // One-token targets keep the one-token metric kinds, so their numbers stay what they were.
    expect(logprobMetricOf(' the', 'metric.token', tinyCtx())).toEqual({ kind: 'logprob', token: the });
    expect(differenceMetricOf(' the', 7, ['metric.tokenA', 'metric.tokenB'], tinyCtx())).toEqual({ kind: 'logit-diff', tokenA: the, tokenB: 7 });
  });

  it('reads "id:401" and "id:5, 6" as ids, not text, and refuses ids outside the vocabulary by field', () => {
    expect(targetTokens('id:401', 'metric.token', spCtx(['He is']))).toEqual([401]);
    expect(targetTokens('id:5, 6', 'metric.token', spCtx(['He is']))).toEqual([5, 6]);
    expect(logprobMetricOf('id:5,6', 'metric.token', spCtx(['He is']))).toEqual({ kind: 'continuation-logprob', tokens: [5, 6] });
    const far = errorOf(() => targetTokens('id:512', 'contrastSet.metric.tokenA', spCtx(['He is'])));
    expect(far).toMatchObject({ code: 'invalid_input', field: 'contrastSet.metric.tokenA' });
    expect(far.message).toBe("contrastSet.metric.tokenA: token id 512 is outside this model's vocabulary [0, 512).");
    expect(errorOf(() => targetTokens(9999, 'metric.token', spCtx(['He is']))).field).toBe('metric.token');
  });

  it('the SentencePiece fixture\'s tokenizer gives the ids of the fixture script\'s own encoder', () => {
    for (const c of cases.tokenizer) expect(sp.encode(c.text, { addSpecialTokens: false })).toEqual(c.ids);
    for (const c of cases.metric) expect(sp.encode(c.prompt)).toEqual(c.promptIds);
  });

  it('text of several tokens is its continuation after the prompt: " his" is "▁h" "is" there, not the "▁" "▁h" "is" it is alone', () => {
    for (const c of cases.metric) expect(targetTokens(c.text, 'metric.token', spCtx([c.prompt]))).toEqual(c.continuation);
    const his = cases.metric.find((c) => c.text === ' his')!;
    expect(his.pieces).toEqual(['▁h', 'is']);
    expect(sp.tokenStrings(sp.encode(' his', { addSpecialTokens: false }))).toEqual(['▁', '▁h', 'is']);
    // On a byte-level BPE the continuation is the text's own tokens.
    const text = ' hello world again';
    expect(targetTokens(text, 'metric.token', tinyCtx())).toEqual(tiny.encode(text, { addSpecialTokens: false }));
    expect(logprobMetricOf(text, 'metric.token', tinyCtx())).toMatchObject({ kind: 'continuation-logprob' });
  });

  it('refuses text that merges with the end of the prompt, naming the field and what to do', () => {
    const e = errorOf(() => targetTokens('rk today', 'metric.token', spCtx(['Lily went to the pa'])));
    expect(e).toMatchObject({ code: 'invalid_input', field: 'metric.token' });
    expect(e.message).toBe('metric.token: "rk today" merges with the end of the prompt, so it does not start at a token of its own there; start it at a word boundary (e.g. with its leading space) or give its ids (id:…).');
  });

  it('refuses text written differently after two prompts of one contrast set, naming both', () => {
    // A stand-in tokenizer: after "b" the text is written as one merged piece.
    const vocab = ['a', 'b', 'x', 'y', 'xy'];
    const tokenizer = {
      encodeMany: (texts: string[]) => texts.map((t) => (t.startsWith('b') ? t.replace('xy', 'Z') : t).split('').map((ch) => (ch === 'Z' ? 4 : vocab.indexOf(ch)))),
      tokenStrings: (ids: number[]) => ids.map((id) => vocab[id] ?? '?'),
    };
    const ctx: TargetContext = { tokenizer, vocabSize: vocab.length, prompts: ['a', 'b'] };
    const e = errorOf(() => targetTokens('xy', 'contrastSet.metric.tokenB', ctx));
    expect(e.message).toBe('contrastSet.metric.tokenB: "xy" is written as different tokens after different prompts ("x" "y" after prompt 1, "xy" after prompt 2); give its ids (id:…) to read one continuation.');
    expect(targetTokens('xy', 'contrastSet.metric.tokenB', { ...ctx, prompts: ['a', 'a'] })).toEqual([2, 3]);
  });
});
