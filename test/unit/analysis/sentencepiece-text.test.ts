// Token text on a SentencePiece-style Llama tokenizer (issue 18, finding 8): the fixture is
// written by scripts/fixtures/make_sentencepiece_tokenizer.py (Llama-2 layout: ▁ pieces, byte
// fallback <0x..>, decoder Replace ▁→space, ByteFallback, Fuse, Strip one leading space). Its
// decoder drops a lone token's word-initial space, which made catalogs read
// "OnceuponatimetherewasalittlegirlnamedLily", explanations `often in "hermom"` and
// `search --q looked` find nothing. Real tokenizer, real catalog file, real search.

import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCatalog } from '../../../src/catalog/open';
import { getFeaturePage, searchFeatures } from '../../../src/catalog/queries';
import type { ExampleRecord, FeatureRecord } from '../../../src/catalog/types';
import { beginAnalysis, commitAnalysis, writeFeatures } from '../../../src/catalog/writes';
import { TokenTextCache } from '../../../src/engine/analysis/examples';
import { ModelTokenizer } from '../../../src/engine/model/tokenizer';
import { addSae, tempDir } from '../catalog/helpers';

const DIR = resolve(__dirname, '../../fixtures/tokenizers/sentencepiece-llama');
const tokenizer = ModelTokenizer.fromFiles(join(DIR, 'tokenizer.json'), join(DIR, 'tokenizer_config.json'));
const text = new TokenTextCache(tokenizer);
const tmp = tempDir('fs-sentencepiece-');
afterAll(() => tmp.cleanup());

const STORIES = [
  'Once upon a time there was a little girl named Lily. One day, Lily looked at the tree.',
  'The little boy looked for his ball. "Look!" said her mom.',
  'She looked at the sky and smiled at her mom. It cost 5€.',
];

/** The id of a vocabulary piece ("▁looked"). */
const idOf = (piece: string): number => tokenizer.encode(piece.replace(/^▁/, ' '), { addSpecialTokens: false }).at(-1)!;
/** The first byte token of "€" (<0xE2>). */
const euroLead = (): number => tokenizer.encode('€', { addSpecialTokens: false }).find((id) => tokenizer.tokenStrings([id])[0] === '<0xE2>')!;

/** An example of `story` whose value is `peak` on every token reading `fires` . */
function exampleOf(story: string, fires: (t: string) => boolean, rank: number): ExampleRecord {
  const ids = tokenizer.encode(story); // <s> first, as analysis windows of a Llama model start
  const tokens = text.texts(ids);
  return { kind: 'top', bucket: 0, rank, tokens, values: tokens.map((t) => (fires(t) ? 4 - rank : 0)), doc: rank, start: 0 };
}

function featureOf(idx: number, fires: (t: string) => boolean, promoted: string): FeatureRecord {
  return {
    idx,
    density: 0.01,
    maxAct: 4,
    meanAct: 1,
    histogram: null,
    examples: STORIES.map((s, rank) => exampleOf(s, fires, rank)),
    logitEffects: { promoted: [[text.text(idOf(promoted)), 1]], suppressed: [[text.text(euroLead()), -1]] },
  };
}

describe('SentencePiece token text', () => {
  it('the fixture reproduces the bug: a lone token decoded on its own loses its space', () => {
    const looked = tokenizer.encode('looked', { addSpecialTokens: false }); // the normalizer prepends ▁
    expect(tokenizer.tokenStrings(looked)).toEqual(['▁looked']);
    const id = looked[looked.length - 1]!;
    expect(tokenizer.decode([id])).toBe('looked');
    expect(tokenizer.tokenText(id)).toBe(' looked');
  });

  it('takes each token of a sequence in context: joined, they are the text, spaces and all', () => {
    for (const story of STORIES) {
      const ids = tokenizer.encode(story, { addSpecialTokens: false });
      const tokens = tokenizer.tokenTexts(ids);
      expect(tokens.join('')).toBe(` ${story}`); // SentencePiece's own leading ▁ reads as a space
      expect(tokens.join('')).not.toContain('\uFFFD');
    }
  });

  it('shows byte tokens as their bytes alone and as the character they make in a run', () => {
    const euro = tokenizer.encode('€', { addSpecialTokens: false }).filter((id) => tokenizer.tokenStrings([id])[0] !== '▁');
    expect(tokenizer.tokenStrings(euro)).toEqual(['<0xE2>', '<0x82>', '<0xAC>']);
    expect(euro.map((id) => tokenizer.decode([id]))).toEqual(['\uFFFD', '\uFFFD', '\uFFFD']); // what the catalog stored before
    expect(euro.map((id) => tokenizer.tokenText(id))).toEqual(['<0xE2>', '<0x82>', '<0xAC>']);
    expect(tokenizer.tokenTexts(euro)).toEqual(['€', '', '']);
    expect(tokenizer.tokenTexts(euro.slice(1))).toEqual(['<0x82>', '<0xAC>']); // a run cut by the window's edge
  });

  describe('in a catalog', () => {
    const cat = openCatalog(tmp.file('sp.db'));
    const saeId = addSae(cat, 8);
    const a = beginAnalysis(cat, { saeId, corpusId: null });
    writeFeatures(cat, a, [
      featureOf(0, (t) => t === ' looked', '▁looked'),
      featureOf(1, (t) => t === ' mom', '▁mom'),
      featureOf(2, (t) => t === '.', '.'),
      featureOf(3, (t) => t === '"', 'Lily'),
      featureOf(4, (t) => t === '€', 'the'),
    ]);
    commitAnalysis(cat, a);
    afterAll(() => cat.close());
    const found = (q: string) => searchFeatures(cat, { saeId, q, sort: 'idx' }).rows.map((r) => r.idx);

    it('stores example text with its word spaces', () => {
      const page = getFeaturePage(cat, saeId, 0);
      const first = page.examples.find((e) => e.rank === 0)!;
      expect(first.tokens.join('')).toBe(`<s> ${STORIES[0]}`);
      expect(first.tokens.join('')).toContain('Once upon a time there was a little girl named Lily.');
      expect(page.logitEffects?.promoted[0]?.[0]).toBe(' looked');
      expect(page.logitEffects?.suppressed[0]?.[0]).toBe('<0xE2>');
    });

    it('explains with word spaces: tokens and their context', () => {
      expect(getFeaturePage(cat, saeId, 0).label.auto).toMatch(/^fires on " looked"/);
      expect(getFeaturePage(cat, saeId, 1).label.auto).toBe('fires on " mom"; often in " her mom"');
      expect(getFeaturePage(cat, saeId, 1).feature.topTokens).toEqual([' mom']);
      // The € feature fires on the last of three byte tokens: it is named by the character.
      expect(getFeaturePage(cat, saeId, 4).label.auto).toMatch(/^fires on "€"/);
    });

    it('finds words in explanations, top tokens and example text', () => {
      expect(found('looked')).toEqual([0, 1, 2, 3, 4]); // every example holds "looked"; feature 0 first by relevance
      expect(searchFeatures(cat, { saeId, q: 'looked' }).rows[0]!.idx).toBe(0);
      expect(found('mom')).toEqual([0, 1, 2, 3, 4]);
      expect(found('Lily')).toEqual([0, 1, 2, 3, 4]);
      expect(found('upon')).toEqual([0, 1, 2, 3, 4]);
      expect(found('uponatime')).toEqual([]);
    });

    it('searches punctuation by the features that fire on it, not every feature', () => {
      expect(found('.')).toEqual([2]);
      expect(found('"')).toEqual([3]);
      expect(found('€')).toEqual([4]);
      expect(found('zebra .')).toEqual([]); // words and symbols are ANDed: no example says zebra…
      expect(found('said .')).toEqual([2]); // …but feature 2's examples say "said"
      expect(found('!')).toEqual([]);
    });
  });
});
