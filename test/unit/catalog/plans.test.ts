// The hot queries must find their rows through indexes: a full SCAN of features or examples
// is fine on 60 rows and fatal on a million. Checked on EXPLAIN QUERY PLAN of the exact SQL, in
// every form searchFeatures may pick (range or walk; with or without the analysis id range).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCatalog, type Catalog } from '../../../src/catalog/open';
import { analysisIdRange, buildSearchSql, ensureSearchHitsTable, FEATURE_PAGE_SQL, rankWindowOf } from '../../../src/catalog/queries';
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
  const sortIndexOf = (sort: string | undefined) => ({ idx: 'features_idx_stats', density: 'features_density', max_act: 'features_max_act' })[sort ?? 'idx'] ?? 'features_idx_stats';
  const idRange = () => analysisIdRange(cat, analysisId, 3000)!;

  for (const v of variants) {
    it(`search ${JSON.stringify(v)} uses indexes for rows and count, in every form`, () => {
      const { tagged, ...rest } = v;
      const query = SearchQuery.parse({ saeId, ...rest });
      const tags = tagged ? [tagId] : [];
      ensureSearchHitsTable(cat);
      const forms = [{}, { walk: true }, { idRange: idRange() }, { walk: true, idRange: idRange() }];
      for (const form of forms) {
        const sql = buildSearchSql(query, analysisId, tags, form);
        for (const statement of [sql.fillSql, sql.fillDocSql, sql.exampleCountSql, sql.postingsSql, sql.rowsSql, sql.countSql]) {
          if (statement !== null) expect({ form, scans: fullScans(statement, { ...sql.params, need: 10 }) }).toEqual({ form, scans: [] });
        }
        // A count never reads past its reach.
        if (sql.countSql !== null) expect(sql.countSql).toMatch(/LIMIT @reach \+ 1\)$/);
        const plan = planText(sql.rowsSql, sql.params);
        // Late row lookup: the page is picked from index entries (or the hits table) alone, and
        // only the page's rows are read from features and labels; the outer sort is of one page.
        expect(sql.rowsSql).toMatch(/LIMIT @limit OFFSET @offset\) p\s+CROSS JOIN features f ON f.id = p.(fid|id) LEFT JOIN labels/);
        if (form.walk && query.sort !== undefined && query.sort !== 'relevance') {
          // The walk follows the sort column's index with no sort of what it reads.
          expect(plan).toContain(`SEARCH f USING COVERING INDEX ${sortIndexOf(query.sort)} (analysis_id=?`);
          expect(plan.match(/USE TEMP B-TREE FOR (RIGHT PART OF )?ORDER BY/g)?.length ?? 0).toBeLessThanOrEqual(1);
        }
        if (v.q === undefined) {
          expect(sql.fillSql).toBeNull();
          expect(plan).toMatch(/SEARCH f USING COVERING INDEX \w+ \(analysis_id=\?/);
          continue;
        }
        const fill = planText(sql.fillSql!, sql.params);
        expect(fill).toMatch(/SCAN features_fts VIRTUAL TABLE INDEX/);
        expect(fill).toMatch(/SCAN examples_fts VIRTUAL TABLE INDEX/);
        expect(planText(sql.fillDocSql!, sql.params)).not.toMatch(/examples_fts/);
        // Counting example-only matches reads postings in rowid order to the budget and looks each feature up in the hits by its key.
        const exampleCount = planText(sql.exampleCountSql!, { ...sql.params, need: 10 });
        expect(exampleCount).toMatch(/SCAN examples_fts VIRTUAL TABLE INDEX/);
        expect(exampleCount).toMatch(/SEARCH h USING INTEGER PRIMARY KEY \(rowid=\?\)/);
        expect(sql.postingsSql).toMatch(/LIMIT @exampleBudget \+ 1\)$/);
        if (form.walk && query.sort !== undefined) expect(plan).toContain('SEARCH h USING INTEGER PRIMARY KEY (rowid=?)');
        else if ((query.sort ?? 'relevance') === 'relevance') {
          // Relevance order comes from the hits table's index: no sort of the matches.
          expect(plan).toMatch(/SCAN h USING (COVERING )?INDEX search_hits_relevance/);
          expect(plan.match(/USE TEMP B-TREE FOR ORDER BY/g)?.length ?? 0).toBeLessThanOrEqual(1);
        } else expect(plan).toMatch(/SCAN h\b/);
        // The count walks the hits in feature-id order (neighbouring pages of features).
        const count = planText(sql.countSql!, sql.params);
        const hitsOnly = 'idRange' in form && Object.keys(rest).length === 1 && !tagged;
        expect(count).toMatch(hitsOnly ? /SCAN temp\.search_hits/ : /SCAN h\n.*SEARCH f USING INTEGER PRIMARY KEY/s);
      }
    });
  }

  it('text hits are read only within the analysis id range when it is contiguous', () => {
    ensureSearchHitsTable(cat);
    const query = SearchQuery.parse({ saeId, q: 'w5' });
    const sql = buildSearchSql(query, analysisId, [], { idRange: idRange() });
    expect(sql.fillSql).toContain('rowid BETWEEN @idLo AND @idHi');
    expect(sql.fillSql).toContain('rowid BETWEEN @exampleLo AND @exampleHi');
    // No other filter: hits need no lookup into features to be counted or ranked.
    expect(planText(sql.countSql!, sql.params)).not.toMatch(/\bf\b|features/);
    expect(idRange().hi - idRange().lo + 1).toBe(3000);
  });

  it('a density or max_act browse filtered on its own column only seeks on the stored rank', () => {
    for (const [sort, range] of [['density', {}], ['density', { densityMin: 0.1, densityMax: 0.2 }], ['max_act', { maxActMin: 10 }]] as const) {
      for (const order of ['asc', 'desc'] as const) {
        const desc = order === 'desc';
        const window = rankWindowOf(cat, analysisId, 3000, sort, desc, 'densityMin' in range ? range.densityMin : 'maxActMin' in range ? range.maxActMin : undefined, 'densityMax' in range ? range.densityMax : undefined);
        expect(window).not.toBeNull();
        const sql = buildSearchSql(SearchQuery.parse({ saeId, sort, order, ...range, offset: 40, limit: 10 }), analysisId, [], { rankWindow: window! });
        expect(sql.rowsSql).not.toContain('OFFSET');
        expect(sql.countSql).toBeNull(); // the window's size is the total
        expect(sql.params).toMatchObject({ rankLo: window!.lo + 40, rankHi: window!.hi });
        const plan = planText(sql.rowsSql, sql.params);
        const rank = `${sort}${desc ? '_desc' : ''}_rank`;
        expect(plan).toMatch(new RegExp(`SEARCH f USING INDEX features_${rank} \\(analysis_id=\\? AND ${rank}>\\? AND ${rank}<\\?\\)`));
        expect(plan).not.toMatch(/TEMP B-TREE/);
      }
    }
    // The window's bounds are binary searches on the rank index, never a scan.
    const probe = `SELECT density FROM features INDEXED BY features_density_rank WHERE analysis_id = ? AND density_rank = ?`;
    expect(planText(probe, [analysisId, 5])).toMatch(/SEARCH features USING INDEX features_density_rank \(analysis_id=\? AND density_rank=\?\)/);
    // A filter on the other column or a tag is not one run of ranks: no seek.
    const window = rankWindowOf(cat, analysisId, 3000, 'density', true)!;
    expect(buildSearchSql(SearchQuery.parse({ saeId, sort: 'density', maxActMin: 3 }), analysisId, [], { rankWindow: window }).rowsSql).not.toContain('density_rank');
    expect(buildSearchSql(SearchQuery.parse({ saeId, sort: 'density' }), analysisId, [tagId], { rankWindow: window }).rowsSql).not.toContain('density_rank');
  });

  it('an unfiltered idx-sorted browse of a dense analysis seeks to its page instead of stepping over it', () => {
    for (const order of ['asc', 'desc'] as const) {
      const sql = buildSearchSql(SearchQuery.parse({ saeId, order, offset: 2000, limit: 10 }), analysisId, [], { denseIdxCount: 3000 });
      expect(sql.rowsSql).not.toContain('OFFSET');
      expect(sql.params.seekIdx).toBe(order === 'asc' ? 2000 : 999);
      expect(planText(sql.rowsSql, sql.params)).toMatch(new RegExp(`SEARCH f USING INDEX features_idx_stats \\(analysis_id=\\? AND idx${order === 'asc' ? '>' : '<'}\\?\\)`));
    }
  });
});
