// The built-in gendered contrast set on a model whose pronouns are two tokens (the
// SentencePiece-style llama-sp-tiny fixture: " his" = "▁h" "is", " her" = "▁h" "er"). Its metric
// used to be refused (`" his" is 2 tokens for this model`); now it is Σ log p(" his") − Σ log p(" her")
// after each side-a prompt, and the audit's attribution runs on it. The reference is the plain JS
// forward over the appended tokens (helpers.ts), not the metric code.

import { resolve } from 'node:path';
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { type LoadedModel, loadModel } from '../../../src/engine/model/load';
import { differenceMetricOf } from '../../../src/engine/attribution/token-ref';
import { loadContrastSet } from '../../../src/engine/audit/contrast-set';
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

  it('its metric resolves to the two-token continuations after every side-a prompt, and the audit attributes it', async () => {
    const set = loadContrastSet('gendered', SETS);
    expect(set.metric).toEqual({ tokenA: ' his', tokenB: ' her' });
    // What the old one-token rule saw: " his" on its own is several pieces.
    expect(model.tokenizer.encode(' his', { addSpecialTokens: false }).length).toBeGreaterThan(1);

    const ctx = { tokenizer: model.tokenizer, vocabSize: model.config.vocabSize, prompts: set.pairs.map((p) => p.a) };
    const metric = differenceMetricOf(set.metric!.tokenA, set.metric!.tokenB, ['contrastSet.metric.tokenA', 'contrastSet.metric.tokenB'], ctx);
    if (metric.kind !== 'continuation-diff') throw new Error(`expected a continuation difference, got ${metric.kind}`);
    expect(model.tokenizer.tokenStrings(metric.tokensA)).toEqual(['▁h', 'is']);
    expect(model.tokenizer.tokenStrings(metric.tokensB)).toEqual(['▁h', 'er']);

    const pairs: TokenPair[] = set.pairs.map((p) => ({ a: model.tokenizer.encode(p.a), b: model.tokenizer.encode(p.b) }));
    const result = await runAudit(model, pairs, { site: { kind: 'neurons' }, metric, attributionPairs: 6, topN: 5 });
    expect(result.pairs).toBe(set.pairs.length);
    expect(result.attributionPairs).toBe(6);
    // The audit's clean metric is the mean over the pairs it attributed (the first equal-length ones).
    const used = pairs.filter((p) => p.a.length === p.b.length).slice(0, 6);
    const reference = used.reduce((s, p) => s + metricOfRun(model, p.a, metric), 0) / used.length;
    expect(result.metricClean).not.toBeNull();
    expect(result.metricClean!).toBeCloseTo(reference, 4);
    for (const f of result.findings) expect(Number.isFinite(f.attribution)).toBe(true);
  });
});
