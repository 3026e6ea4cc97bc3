// Search scope (`--in labels|explanations|tokens|all`), the F1 sort with unscored features, and
// separators of features that share an explanation (issue #18), on a real SQLite catalog.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, openCatalog } from '../../../src/catalog/open';
import { featurePageText } from '../../../src/cli/commands/catalog';
import { formatF1 } from '../../../src/shared/format-explanation-score';
import { neighboursOf, separatorsOf, sharedExplanations } from '../../../src/catalog/explain-separators';
import type { Catalog } from '../../../src/catalog/open';
import { getFeaturePage, searchFeatures } from '../../../src/catalog/queries';
import type { FeatureRecord, SearchQuery } from '../../../src/catalog/types';
import { beginAnalysis, commitAnalysis, setUserLabel, writeFeatures } from '../../../src/catalog/writes';
import { addSae, example, feature, newCatalog, tempDir } from './helpers';

const tmp = tempDir('fs-explain-scope-');
let cat: Catalog;
let saeId: number;
const N = 9;
const score = (f1: number | null) => ({ precision: f1, recall: f1, f1, heldOutTokens: 100, heldOutFirings: 10 });

beforeAll(() => {
  cat = newCatalog(tmp.file('scope.db'));
  saeId = addSae(cat, 16);
  // Every feature's examples read " the quick fox <word> end"; feature 4's read " quantum field <word> end".
  const records: FeatureRecord[] = Array.from({ length: N }, (_, i) => ({
    ...feature(i, i % 3 === 0 ? ' python' : ' banana', { context: i === 4 ? [' quantum', ' field'] : undefined }),
    // 0 and 1 scored high and low, 2 scored with nothing to score (F1 null), the rest not scored at all.
    explanationScore: i === 0 ? score(0.9) : i === 1 ? score(0.2) : i === 2 ? { precision: null, recall: null, f1: null, heldOutTokens: 100, heldOutFirings: 0 } : null,
    separator: i === 3 ? 'after " fox"' : null,
  }));
  const a = beginAnalysis(cat, { saeId, corpusId: null });
  writeFeatures(cat, a, records);
  commitAnalysis(cat, a);
  setUserLabel(cat, saeId, 5, 'legal contracts');
});
afterAll(() => {
  cat.close();
  tmp.cleanup();
});

const idxs = (q: Omit<SearchQuery, 'saeId'>) => searchFeatures(cat, { saeId, sort: 'idx', ...q }).rows.map((r) => r.idx);

describe('search scope', () => {
  it('a word only in example text matches with all, and not with explanations, tokens or labels', () => {
    expect(idxs({ q: 'quantum' })).toEqual([4]);
    expect(idxs({ q: 'quantum', scope: 'all' })).toEqual([4]);
    expect(idxs({ q: 'quantum', scope: 'explanations' })).toEqual([]);
    expect(idxs({ q: 'quantum', scope: 'tokens' })).toEqual([]);
    expect(idxs({ q: 'quantum', scope: 'labels' })).toEqual([]);
    // A word in every example ("def" in 478 of 512 features) no longer matches everything.
    expect(idxs({ q: 'quick' })).toEqual([0, 1, 2, 3, 5, 6, 7, 8]);
    expect(idxs({ q: 'quick', scope: 'explanations' })).toEqual([]);
  });

  it('each scope reads its own column: labels, explanations ("often in" contexts too), top tokens', () => {
    const pythons = [0, 3, 6];
    expect(idxs({ q: 'python', scope: 'tokens' })).toEqual(pythons);
    expect(idxs({ q: 'python', scope: 'explanations' })).toEqual(pythons);
    expect(idxs({ q: 'python', scope: 'labels' })).toEqual([]);
    expect(idxs({ q: 'contracts', scope: 'labels' })).toEqual([5]);
    expect(idxs({ q: 'contracts', scope: 'explanations' })).toEqual([]);
    // " banana end" is feature 1's context bigram, named in its explanation; " end" is no top token.
    expect(getFeaturePage(cat, saeId, 1).label.auto).toBe('fires on " banana"; often in " banana end"');
    const saysEnd = Array.from({ length: N }, (_, i) => i).filter((i) => / end"/.test(getFeaturePage(cat, saeId, i).label.auto));
    expect(saysEnd).toEqual([1, 2, 4, 5, 7, 8]); // the " banana" features; " python"'s context is " fox python"
    expect(idxs({ q: 'end', scope: 'explanations' })).toEqual(saysEnd);
    expect(idxs({ q: 'end', scope: 'tokens' })).toEqual([]);
  });

  it('punctuation is searched among top tokens only: in labels or explanations it matches nothing, not everything', () => {
    expect(idxs({ q: '"', scope: 'explanations' })).toEqual([]);
    expect(idxs({ q: '"', scope: 'labels' })).toEqual([]);
  });

  it('refuses a scope it does not know, naming the field', () => {
    expect(() => searchFeatures(cat, { saeId, q: 'x', scope: 'examples' as never })).toThrow(/scope/);
  });
});

describe('F1 sort', () => {
  it('best first; features without a score (null F1, or never scored) come last both ways, as null, never 0', () => {
    const rows = searchFeatures(cat, { saeId, sort: 'f1' }).rows;
    expect(rows.map((r) => r.idx)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(rows.map((r) => r.explanationF1)).toEqual([0.9, 0.2, null, null, null, null, null, null, null]);
    expect(searchFeatures(cat, { saeId, sort: 'f1', order: 'asc' }).rows.map((r) => r.idx)).toEqual([1, 0, 2, 3, 4, 5, 6, 7, 8]);
    // With text, the F1 order applies to the matches.
    expect(searchFeatures(cat, { saeId, q: 'banana', sort: 'f1' }).rows.map((r) => r.idx)).toEqual([1, 2, 4, 5, 7, 8]);
  });

  it('the feature page carries the score, or null when not scored', () => {
    expect(getFeaturePage(cat, saeId, 0).explanationScore).toEqual(score(0.9));
    expect(getFeaturePage(cat, saeId, 2).explanationScore).toEqual({ precision: null, recall: null, f1: null, heldOutTokens: 100, heldOutFirings: 0 });
    expect(getFeaturePage(cat, saeId, 3).explanationScore).toBeNull();
  });
});

describe('separators', () => {
  it('two features firing on " the" in different company get different separators; the store keeps them', () => {
    // A: " the" after " of" in every example; B: " the" after " in", and before " (" in two of three.
    const fires = (tokens: string[]) => example(tokens, tokens.indexOf(' the'), 3);
    const a = [fires([' top', ' of', ' the', ' hill']), fires([' end', ' of', ' the', ' road']), fires([' out', ' of', ' the', ' box'])];
    const b = [fires([' sat', ' in', ' the', ' (']), fires([' lay', ' in', ' the', ' (']), fires([' went', ' in', ' the', ' house'])];
    const [sa, sb] = separatorsOf([neighboursOf(a), neighboursOf(b)]);
    // A: " of" before it in 3/3 firings against 0/3 for B — margin 1, larger than any "after" token's.
    expect(sa).toBe('after " of"');
    expect(sb).toBe('after " in"');
    // Identical company: nothing separates them.
    expect(separatorsOf([neighboursOf(a), neighboursOf(a)])).toEqual([null, null]);
    expect(sharedExplanations(['x', '', 'y', 'x', '', 'x'])).toEqual([[0, 3, 5]]);

    expect(getFeaturePage(cat, saeId, 3).separator).toBe('after " fox"');
    expect(getFeaturePage(cat, saeId, 4).separator).toBeNull();
    expect(searchFeatures(cat, { saeId, q: 'python', sort: 'idx' }).rows.map((r) => r.separator)).toEqual([null, 'after " fox"', null]);
  });
});

describe('catalogs analysed before scores (schema 9)', () => {
  it('upgrade to NULL scores: "not scored", shown as —, never 0; an F1 sort still lists them', () => {
    const path = tmp.file('v9.db');
    const raw = new Database(path);
    migrate(raw, 9);
    raw.exec(`
      INSERT INTO saes (id, name, model_id, hook_name, architecture, d_in, d_sae, cfg, metrics, provenance, weights_path, created_at)
        VALUES (1, 's', NULL, 'blocks.0.hook_resid_post', 'topk', 4, 8, '{}', '{}', '{}', '/w', 1);
      INSERT INTO analyses (id, sae_id, state, started_at, ended_at, feature_count) VALUES (1, 1, 'complete', 1, 2, 2);
      UPDATE saes SET active_analysis_id = 1;
      INSERT INTO features (id, analysis_id, sae_id, idx, density, max_act, mean_act, explanation, top_tokens)
        VALUES (1, 1, 1, 3, 0.5, 2.0, 1.0, 'fires on " zebra"', '[" zebra"]'), (2, 1, 1, 5, 0.1, 1.0, 1.0, 'fires on " zebra"', '[" zebra"]');
    `);
    raw.close();
    const old = openCatalog(path);
    const page = getFeaturePage(old, 1, 3);
    expect(page.explanationScore).toBeNull();
    expect(page.separator).toBeNull();
    expect(featurePageText(page, 0)).toContain('explanation score: — (not scored)');
    const rows = searchFeatures(old, { saeId: 1, sort: 'f1' }).rows;
    expect(rows.map((r) => [r.idx, r.explanationF1])).toEqual([
      [3, null],
      [5, null],
    ]);
    expect(formatF1(rows[0]!.explanationF1)).toBe('—');
    old.close();
  });
});
