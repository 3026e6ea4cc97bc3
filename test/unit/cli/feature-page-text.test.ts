// `featurescope feature` prints a feature page as text: the peak token of each top example in
// brackets, newlines shown as ⏎, only top (not quantile) examples, as many as asked.
import { describe, expect, it } from 'vitest';
import type { FeaturePage } from '../../../src/catalog/types';
import { featurePageText } from '../../../src/cli/commands/catalog';

const example = (kind: 'top' | 'quantile', tokens: string[], values: number[]) => ({ kind, bucket: 0, rank: 0, maxAct: Math.max(...values), tokens, values, doc: 0, start: 0 });

const page: FeaturePage = {
  sae: { id: 1, name: 'email-sae', hookName: 'blocks.2.hook_resid_post', architecture: 'topk', dSae: 2048 },
  analysis: { id: 1, saeId: 1, corpusId: null, state: 'complete', startedAt: 0, endedAt: 1, featureCount: 2048 },
  feature: { idx: 498, density: 0.162, maxAct: 10.08, meanAct: 2.35, histogram: null, topTokens: ['cod'] },
  label: { auto: 'fires on "cod"', user: 'encode/decode', updatedAt: 1 },
  examples: [
    example('top', ['the', ' en', 'cod', 'ed', '\n', 'word'], [0, 1, 10.08, 2, 0, 0]),
    example('top', [' de', 'cod', 'e'], [0.5, 9.5, 0.1]),
    example('quantile', [' x', 'cod'], [0, 3]),
  ],
  logitEffects: { promoted: [['er', 1.41]], suppressed: [['])', -0.853]] },
  tags: ['bias', 'probe:x'],
  notes: [],
};

describe('featurePageText', () => {
  it('marks each top example’s peak token and shows label, tags and logit effects', () => {
    const text = featurePageText(page, 5);
    expect(text).toContain('email-sae · blocks.2.hook_resid_post · feature 498');
    expect(text).toContain('label: encode/decode');
    expect(text).toContain('tags: bias, probe:x');
    expect(text).toContain('promotes: "er" 1.41');
    expect(text).toContain('the en[cod]ed⏎word');
    expect(text).toContain(' de[cod]e');
    expect(text).not.toContain(' x[cod]'); // quantile examples are not "top examples"
  });

  it('prints only as many examples as asked', () => {
    expect(featurePageText(page, 1)).not.toContain(' de[cod]e');
    expect(featurePageText(page, 0)).not.toContain('top examples');
  });
});
