// Catalog writes are all-or-nothing: a failure anywhere in a batch leaves no row of it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCatalog, type Catalog } from '../../../src/catalog/open';
import { getFeaturePage, searchFeatures } from '../../../src/catalog/queries';
import { FeaturescopeError } from '../../../src/shared/errors';
import { abortAnalysis, beginAnalysis, commitAnalysis, writeFeatures } from '../../../src/catalog/writes';
import { addSae, feature, tempDir } from './helpers';

const tmp = tempDir();
let cat: Catalog;
let saeId: number;

/** Rows of an analysis about `word`, in every table an import writes, including the search indexes. */
function rowCounts(analysisId: number, word: string) {
  const one = (sql: string, ...args: unknown[]) => Number(cat.db.prepare(sql).pluck().get(...args));
  const f = `f.analysis_id = ? AND f.top_tokens = json_array(' ' || ?)`;
  return {
    features: one(`SELECT count(*) FROM features f WHERE ${f}`, analysisId, word),
    examples: one(`SELECT count(*) FROM examples e JOIN features f ON f.id = e.feature_id WHERE ${f}`, analysisId, word),
    logits: one(`SELECT count(*) FROM logit_effects g JOIN features f ON f.id = g.feature_id WHERE ${f}`, analysisId, word),
    featuresFts: one(`SELECT count(*) FROM features_fts WHERE features_fts MATCH ?`, `"${word}"`),
    examplesFts: one(`SELECT count(*) FROM examples_fts WHERE examples_fts MATCH ?`, `"${word}"`),
  };
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

beforeAll(() => {
  cat = openCatalog(tmp.file('tx.db'));
  saeId = addSae(cat, 100);
});
afterAll(() => {
  cat.close();
  tmp.cleanup();
});

describe('all-or-nothing writes', () => {
  it('a constraint failure on the 31st of 50 features leaves none of the 50, and earlier batches intact', () => {
    const a = beginAnalysis(cat, { saeId, corpusId: null });
    writeFeatures(cat, a, [feature(0, ' keep'), feature(1, ' keep')]);
    const batch = Array.from({ length: 50 }, (_, i) => feature(i + 2, ' lost'));
    batch[30] = feature(1, ' lost'); // duplicate idx: UNIQUE (analysis_id, idx) fails mid-batch
    expect(() => writeFeatures(cat, a, batch)).toThrow(/UNIQUE/);
    expect(rowCounts(a, 'lost')).toEqual({ features: 0, examples: 0, logits: 0, featuresFts: 0, examplesFts: 0 });
    expect(rowCounts(a, 'keep')).toEqual({ features: 2, examples: 6, logits: 2, featuresFts: 2, examplesFts: 6 });
    abortAnalysis(cat, a, 'test');
  });

  it('an invalid record (values/tokens mismatch) is refused before anything is written, naming the field', () => {
    const a = beginAnalysis(cat, { saeId, corpusId: null });
    const bad = feature(5, ' shape');
    bad.examples[1]!.values.pop();
    const err = caught(() => writeFeatures(cat, a, [feature(4, ' shape'), bad]));
    expect(err).toBeInstanceOf(FeaturescopeError);
    expect((err as FeaturescopeError).code).toBe('invalid_input');
    expect((err as FeaturescopeError).field).toBe('features[1].examples.1.values');
    expect(rowCounts(a, 'shape').features).toBe(0);

    const outside = caught(() => writeFeatures(cat, a, [feature(4, ' shape'), feature(100, ' shape')])) as FeaturescopeError;
    expect(outside.message).toMatch(/outside the SAE \(d_sae 100\)/);
    expect(rowCounts(a, 'shape')).toEqual({ features: 0, examples: 0, logits: 0, featuresFts: 0, examplesFts: 0 });
    abortAnalysis(cat, a, 'test');
  });

  it('an aborted analysis leaves no rows and never becomes visible; a committed one cannot be written to', () => {
    const good = beginAnalysis(cat, { saeId, corpusId: null });
    writeFeatures(cat, good, [feature(0, ' stable')]);
    commitAnalysis(cat, good);
    expect(() => writeFeatures(cat, good, [feature(1, ' late')])).toThrow(/is complete, not running/);

    const doomed = beginAnalysis(cat, { saeId, corpusId: null });
    writeFeatures(cat, doomed, [feature(0, ' doomed'), feature(1, ' doomed')]);
    abortAnalysis(cat, doomed, 'cancelled by user');
    expect(() => commitAnalysis(cat, doomed)).toThrow(/is failed, not running/);
    expect(rowCounts(doomed, 'doomed')).toEqual({ features: 0, examples: 0, logits: 0, featuresFts: 0, examplesFts: 0 });
    expect(searchFeatures(cat, { saeId }).rows.map((r) => r.idx)).toEqual([0]);
    expect(getFeaturePage(cat, saeId, 0).label.auto).toMatch(/stable/);
  });

  it('an analysis left running by a writer that stopped is failed and purged when the writer reopens', () => {
    const path = tmp.file('interrupted.db');
    const w1 = openCatalog(path);
    const sae = addSae(w1, 10);
    const a = beginAnalysis(w1, { saeId: sae, corpusId: null });
    writeFeatures(w1, a, [feature(0, ' orphan'), feature(1, ' orphan')]);
    w1.close(); // no commit

    const reader = openCatalog(path, { readonly: true });
    expect(searchFeatures(reader, { saeId: sae, q: 'orphan' }).total).toBe(0); // invisible even before cleanup
    reader.close();

    const w2 = openCatalog(path);
    expect(w2.db.prepare(`SELECT state, message FROM analyses WHERE id = ?`).get(a)).toEqual({
      state: 'failed',
      message: 'interrupted: the writer stopped before the analysis completed',
    });
    expect(w2.db.prepare(`SELECT count(*) FROM features`).pluck().get()).toBe(0);
    expect(w2.db.prepare(`SELECT count(*) FROM examples_fts WHERE examples_fts MATCH 'orphan'`).pluck().get()).toBe(0);
    w2.close();
  });

  it('readers cannot write', () => {
    const reader = openCatalog(cat.path, { readonly: true });
    expect(() => beginAnalysis(reader, { saeId, corpusId: null })).toThrow(/read-only/);
    reader.close();
  });
});
