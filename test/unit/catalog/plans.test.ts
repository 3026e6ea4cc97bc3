// The hot queries must find their rows through indexes: a full SCAN of features or examples
// is fine on 60 rows and fatal on a million. Checked on EXPLAIN QUERY PLAN of the exact SQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCatalog, type Catalog } from '../../../src/catalog/open';
import { buildSearchSql, FEATURE_PAGE_SQL } from '../../../src/catalog/queries';
import { SearchQuery, type SearchQuery as SearchQueryInput } from '../../../src/catalog/types';
import { addTag, beginAnalysis, commitAnalysis, writeFeatures } from '../../../src/catalog/writes';
import { addSae, feature, tempDir } from './helpers';

const tmp = tempDir();
let cat: Catalog;
let saeId: number;
let analysisId: number;
let tagId: number;

/** Plan lines that read a whole table or index of the big tables. */
function fullScans(sql: string, params: unknown): string[] {
  const rows = cat.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params as Record<string, unknown>) as Array<{ detail: string }>;
  return rows
    .map((r) => r.detail)
    .filter((d) => /^SCAN (f|e|l|ft|t0|features|examples|logit_effects|labels|feature_tags|notes)\b/.test(d));
}

function planText(sql: string, params: unknown): string {
  return (cat.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params as Record<string, unknown>) as Array<{ detail: string }>)
    .map((r) => r.detail)
    .join('\n');
}

beforeAll(() => {
  cat = openCatalog(tmp.file('plans.db'));
  saeId = addSae(cat, 4096);
  analysisId = beginAnalysis(cat, { saeId, corpusId: null });
  for (let b = 0; b < 3000; b += 500) {
    writeFeatures(cat, analysisId, Array.from({ length: 500 }, (_, i) => feature(b + i, ` w${(b + i) % 97}`, { density: ((b + i) % 1000) / 1000, maxAct: (b + i) % 50 })));
  }
  commitAnalysis(cat, analysisId);
  cat.db.exec('ANALYZE'); // plans must hold with statistics too (they name their indexes)
  for (let i = 0; i < 3000; i += 100) addTag(cat, saeId, i, 'sparse');
  tagId = cat.db.prepare(`SELECT id FROM tags WHERE name = 'sparse'`).pluck().get() as number;
});
afterAll(() => {
  cat.close();
  tmp.cleanup();
});

describe('query plans', () => {
  it('the feature page reads every table through an index', () => {
    const args: Record<keyof typeof FEATURE_PAGE_SQL, unknown[]> = {
      sae: [saeId],
      analysis: [analysisId],
      feature: [analysisId, 17],
      examples: [1],
      logitEffects: [1],
      label: [saeId, 17],
      tags: [saeId, 17],
      notes: [saeId, 17],
    };
    for (const [name, sql] of Object.entries(FEATURE_PAGE_SQL)) {
      const plan = cat.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...(args[name as keyof typeof FEATURE_PAGE_SQL] as unknown[])) as Array<{ detail: string }>;
      const scans = plan.map((r) => r.detail).filter((d) => d.startsWith('SCAN '));
      expect({ name, scans }).toEqual({ name, scans: [] });
    }
    expect(planText(FEATURE_PAGE_SQL.feature, [analysisId, 17])).toMatch(/SEARCH features USING INDEX sqlite_autoindex_features_1 \(analysis_id=\? AND idx=\?\)/);
    expect(planText(FEATURE_PAGE_SQL.examples, [1])).toMatch(/SEARCH examples USING INDEX sqlite_autoindex_examples_1 \(feature_id=\?\)/);
  });

  const variants: Array<Omit<SearchQueryInput, 'saeId'> & { tagged?: boolean }> = [
    {},
    { sort: 'density' },
    { sort: 'max_act', order: 'asc' },
    { densityMin: 0.1, densityMax: 0.2 },
    { densityMin: 0.1, densityMax: 0.2, sort: 'max_act' },
    { maxActMin: 10, maxActMax: 12, sort: 'density' },
    { maxActMin: 10, densityMax: 0.5, sort: 'idx' },
    { tagged: true },
    { tagged: true, sort: 'density', densityMin: 0.5 },
    { q: 'w5' },
    { q: 'w5', sort: 'density', densityMin: 0.1 },
    { q: 'w5 quick', maxActMin: 3, sort: 'max_act', tagged: true },
  ];
  for (const v of variants) {
    it(`search ${JSON.stringify(v)} uses indexes for rows and count`, () => {
      const { tagged, ...rest } = v;
      const query = SearchQuery.parse({ saeId, ...rest });
      const sql = buildSearchSql(query, analysisId, tagged ? [tagId] : []);
      expect(fullScans(sql.rowsSql, sql.params)).toEqual([]);
      if (sql.countSql !== null) expect(fullScans(sql.countSql, sql.params)).toEqual([]);
      if (v.q === undefined) {
        const walk = buildSearchSql(query, analysisId, tagged ? [tagId] : [], { driveBySort: true });
        expect(fullScans(walk.rowsSql, walk.params)).toEqual([]);
        // The walk must really follow the sort column's index, with no sort of the whole range.
        const walkPlan = planText(walk.rowsSql, walk.params);
        const sortIndex = { idx: 'features_idx_stats', density: 'features_density', max_act: 'features_max_act', relevance: '' }[query.sort ?? 'idx'];
        expect(walkPlan).toContain(`SEARCH f USING INDEX ${sortIndex} (analysis_id=?`);
        expect(walkPlan).not.toMatch(/USE TEMP B-TREE FOR ORDER BY/);
      }
      const plan = planText(sql.rowsSql, sql.params);
      if (v.q !== undefined) expect(plan).toMatch(/SCAN (features_fts|examples_fts) VIRTUAL TABLE INDEX/);
      else expect(plan).toMatch(/SEARCH f USING (COVERING )?INDEX \w+ \(analysis_id=\?/);
    });
  }
});
