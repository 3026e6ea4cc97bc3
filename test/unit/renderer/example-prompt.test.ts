// Issue #18, finding 9: "Try in playground" starts from the feature's top example up to its peak
// token, not the playground's prose default (a code feature gets code).
import { describe, expect, it } from 'vitest';
import { examplePrompt } from '../../../src/renderer/src/features/example-prompt';

const ex = (kind: 'top' | 'quantile', rank: number, tokens: string[], values: number[]) => ({ kind, bucket: 0, rank, maxAct: Math.max(...values), tokens, values, doc: 0, start: 0 });

describe('examplePrompt', () => {
  it('is the best top example cut after its peak token', () => {
    const examples = [ex('quantile', 0, ['x', ' = ', '1'], [0, 9, 0]), ex('top', 1, ['a', 'b'], [0, 2]), ex('top', 0, ['def', ' parse', '(', 'self', ')', ':'], [0, 1, 5, 7, 1, 0])];
    expect(examplePrompt(examples)).toBe('def parse(self');
  });
  it('is undefined without a top example or with only whitespace', () => {
    expect(examplePrompt([])).toBeUndefined();
    expect(examplePrompt([ex('top', 0, ['\n', '  '], [0, 3])])).toBeUndefined();
  });
});
