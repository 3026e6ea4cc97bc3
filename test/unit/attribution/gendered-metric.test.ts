// The built-in gendered contrast set on a model whose words are several tokens (the
// SentencePiece-style llama-sp-tiny fixture: " his" = "▁h" "is", " her" = "▁h" "er"). Its contrast
// words used to be refused (`" his" is 2 tokens for this model`); its outcome (" nurse" vs
// " engineer") is now Σ log p of each continuation after each side-a prompt, and the audit's
// attribution runs on it. The reference is the plain JS
// forward over the appended tokens (helpers.ts), not the metric code.

import { resolve } from 'node:path';
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { type LoadedModel, loadModel } from '../../../src/engine/model/load';
import { differenceMetricOf } from '../../../src/engine/attribution/token-ref';
import { loadContrastSet, setOutcome } from '../../../src/engine/audit/contrast-set';
import { runAudit, type TokenPair } from '../../../src/engine/audit/audit';
import { metricOfRun } from './helpers';

const DIR = resolve(__dirname, '../../fixtures/models/llama-sp-tiny');
const SETS = resolve(__dirname, '../../../resources/contrast-sets');

describe('the gendered contrast set on a Llama whose pronouns are two tokens', () => {
  let model: LoadedModel;
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', threads: 1 });
    model = await loadModel(DIR);
  });
  afterAll(() => model.dispose());

  it('its outcome resolves after every side-a prompt (a continuation where a word is several tokens), and the audit attributes it', async () => {
    const set = loadContrastSet('gendered', SETS);
    const outcome = setOutcome(set)!;
    expect([outcome.tokenA, outcome.tokenB]).toEqual([' nurse', ' engineer']);
    // What the old one-token rule saw: the pronouns and the outcome words are several pieces here.
    expect(model.tokenizer.encode(' his', { addSpecialTokens: false }).length).toBeGreaterThan(1);

    const prompts = set.pairs.map((p) => p.a);
    const ctx = { tokenizer: model.tokenizer, vocabSize: model.config.vocabSize, prompts };
    const metric = differenceMetricOf(outcome.tokenA, outcome.tokenB, ['contrastSet.outcome.tokenA', 'contrastSet.outcome.tokenB'], ctx);
    // A continuation is the tokens of prompt + word beyond the prompt's own (checked on the first
    // prompt); a word of one token keeps the one-token logit difference, exactly as before.
    const tail = (word: string) => {
      const base = model.tokenizer.encode(prompts[0]!, { addSpecialTokens: false });
      return model.tokenizer.encode(prompts[0]! + word, { addSpecialTokens: false }).slice(base.length);
    };
    const [nurse, engineer] = [tail(' nurse'), tail(' engineer')];
    if (nurse.length === 1 && engineer.length === 1) expect(metric).toEqual({ kind: 'logit-diff', tokenA: nurse[0], tokenB: engineer[0] });
    else expect(metric).toMatchObject({ kind: 'continuation-diff', tokensA: nurse, tokensB: engineer });

    const pairs: TokenPair[] = set.pairs.map((p) => ({ a: model.tokenizer.encode(p.a), b: model.tokenizer.encode(p.b) }));
    const result = await runAudit(model, pairs, { site: { kind: 'neurons' }, metric, attributionPairs: 6, topN: 5, permutations: 999 });
    expect(result.pairs).toBe(set.pairs.length);
    expect(result.attributionPairs).toBe(6);
    // The audit's outcome gap is the mean of metric(b) − metric(a) over the pairs it attributed: the
    // first compared pairs of equal length (a patch lines up position by position).
    const used = result.comparedPairs.map((i) => pairs[i]!).filter((p) => p.a.length === p.b.length).slice(0, 6);
    const reference = used.reduce((s, p) => s + metricOfRun(model, p.b, metric) - metricOfRun(model, p.a, metric), 0) / used.length;
    expect(result.outcome).not.toBeNull();
    expect(result.outcome!.pairs).toBe(used.length);
    expect(result.outcome!.gapMean).toBeCloseTo(reference, 4);
    for (const f of result.findings) expect(Number.isFinite(f.attribution)).toBe(true);
  });
});
