import { describe, expect, it } from 'vitest';
import { explainFeature, type ExplainExample } from '../../../src/catalog/explain';

/** Tokens with one peak: `[..., [token, value], ...]` pairs are easier to read than two arrays. */
function ex(...pairs: Array<[string, number]>): ExplainExample {
  return { tokens: pairs.map((p) => p[0]), values: pairs.map((p) => p[1]) };
}

describe('explainFeature', () => {
  it('names the dominant tokens, heaviest first, with the bigram that keeps recurring around them', () => {
    const examples = [
      ex(['\n', 0], [' def', 9], [' main', 1], ['(', 0]),
      ex(['\n', 0], [' def', 8], [' run', 0.5], ['(', 0]),
      ex(['\n', 0], [' def', 7], [' __init__', 0], ['(', 0]),
      ex(['\n', 0], [' class', 6], [' Foo', 0], [':', 0]),
      ex(['x', 0], [' class', 5], [' Bar', 0], ['(', 0]),
    ];
    // Weights (value / global max 9): def = (9+8+7)/9 = 2.667, class = (6+5)/9 = 1.222; total 3.889.
    // def's share 0.686, class's 0.314: both named, def first, covering 100%.
    // "\n def" carries all of def's weight in 3 examples → context. class's best bigram "\n class"
    // or " class Foo" is in only 1 example → no context.
    const e = explainFeature(examples);
    expect(e.text).toBe('fires on " def" / " class"; often in "\\n def"');
    expect(e.topTokens).toEqual([' def', ' class']);
    expect(e.unigrams[0]!.share).toBeCloseTo(24 / 35, 10);
    expect(e.unigrams[1]!.share).toBeCloseTo(11 / 35, 10);
  });

  it('weights by activation, not by count: one strong firing beats three weak ones', () => {
    const examples = [
      ex([' cat', 10], [' sat', 0]),
      ex([' dog', 2], [' ran', 0]),
      ex([' dog', 2], [' sat', 0]),
      ex([' dog', 2], [' ate', 0]),
    ];
    // cat: 10/10 = 1.0; dog: 3 × 0.2 = 0.6 → cat first although dog occurs three times.
    const e = explainFeature(examples);
    expect(e.topTokens).toEqual([' cat', ' dog']);
    expect(e.text).toBe('fires on " cat" / " dog"');
  });

  it('merges spellings that differ only in case or surrounding space, showing the commonest', () => {
    const e = explainFeature([ex([' The', 3]), ex(['the', 1]), ex([' the', 4]), ex([' the', 4]), ex([' x', 0.1], [' y', 0])]);
    expect(e.topTokens).toEqual([' the']);
    expect(e.unigrams[0]!.share).toBeCloseTo(12 / 12.1, 10);
  });

  it('counts every position that reaches half its example peak, not just the argmax', () => {
    // " New" at 4 and " York" at 3 (≥ 0.5·4) both count; " in" at 1 does not.
    const e = explainFeature([ex([' in', 1], [' New', 4], [' York', 3]), ex([' in', 1], [' New', 4], [' York', 3])]);
    expect(e.topTokens).toEqual([' New', ' York']);
    // Both tokens' best bigram is " New York": shown once.
    expect(e.text).toBe('fires on " New" / " York"; often in " New York"');
  });

  it('says "varied" when no token carries a tenth of the weight', () => {
    const words = Array.from({ length: 12 }, (_, i) => ` w${String(i).padStart(2, '0')}`);
    const e = explainFeature(words.map((w) => ex([w, 1], [' pad', 0])));
    expect(e.text).toBe('fires on varied tokens, e.g. " w00" / " w01" / " w02"');
  });

  it('returns an empty explanation for a feature that never fires', () => {
    expect(explainFeature([]).text).toBe('');
    expect(explainFeature([ex([' a', 0], [' b', -1])]).text).toBe('');
  });

  it('is deterministic: the order of the examples does not change the sentence', () => {
    const examples = [
      ex([' if', 3], [' x', 0]),
      ex([' else', 3], [' y', 0]),
      ex([' if', 2], [' z', 0]),
      ex([' else', 2], [' w', 0]),
      ex([' for', 1], [' i', 0]),
    ];
    const a = explainFeature(examples);
    const b = explainFeature([...examples].reverse());
    expect(b.text).toBe(a.text);
    // Equal weights (if = else = 5/3) are broken alphabetically.
    expect(a.topTokens).toEqual([' else', ' if']);
  });
});
