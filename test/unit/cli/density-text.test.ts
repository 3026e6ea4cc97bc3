// Issue #18, finding 10: density was a fraction in the CLI ("density 0.162") and a percent in the app
// ("16.2%"). The CLI's text output now uses the app's formatter; --json keeps the fraction.
import { describe, expect, it } from 'vitest';
import type { FeaturePage } from '../../../src/catalog/types';
import { featurePageText } from '../../../src/cli/commands/catalog';
import { formatDensity } from '../../../src/shared/format-density';

const page = (density: number): FeaturePage => ({
  sae: { id: 1, name: 'email-sae', hookName: 'blocks.2.hook_resid_post', architecture: 'topk', dSae: 2048 },
  analysis: { id: 1, saeId: 1, corpusId: null, state: 'complete', startedAt: 0, endedAt: 1, featureCount: 2048 },
  feature: { idx: 498, density, maxAct: 10.08, meanAct: 2.35, histogram: null, topTokens: ['cod'] },
  label: { auto: 'fires on "cod"', user: null, updatedAt: 1 },
  examples: [],
  logitEffects: null,
  tags: [],
  notes: [],
});

describe('density in the CLI text output', () => {
  it('is a percentage, as in the app', () => {
    expect(featurePageText(page(0.162), 0)).toContain('density 16.2%  max 10.08');
    expect(featurePageText(page(0.00042), 0)).toContain('density 0.042%');
  });

  it.each([
    [0, '0%'],
    [0.5, '50.0%'],
    [0.0123, '1.23%'],
    [0.000051, '0.0051%'],
  ])('formatDensity(%s) = %s', (fraction, text) => {
    expect(formatDensity(fraction)).toBe(text);
  });
});
