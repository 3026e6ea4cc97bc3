// The Jobs view titles sparse.train's live figures in words, one chart per layer of alive neurons.
import { describe, expect, it } from 'vitest';
import { chartTitle, formatValue } from '../../../src/renderer/src/jobs/words';

describe("sparse.train's chart titles", () => {
  it('names alive neurons per layer, the losses and the nonzero fraction as a percentage', () => {
    expect(chartTitle('alive_L0')).toBe('Alive MLP neurons, layer 0 (neurons)');
    expect(chartTitle('alive_L11')).toBe('Alive MLP neurons, layer 11 (neurons)');
    expect(chartTitle('valLoss')).toBe('Validation loss (nats/token)');
    expect(formatValue('nonzeroFraction', 1 / 64)).toBe('1.6 %');
  });
});
