// Feature search over one SAE's active analysis: full text (FTS5), filters, sorts and pages.
//
// What keeps it fast on a million features (scripts/bench/catalog.ts):
// - Totals are counted only as far as a reach (TOTAL_STEP past the page), never every match:
//   "10,000+" is answered by reading 10,001 rows, not 600,000. Paging deeper raises the reach.
// - Text hits are collected once per search into a connection-local temp table, sorted by
//   relevance through its index, and joined to `features` only for the rows a page shows; the
//   count joins them in feature-id order (neighbouring pages of the file).
// - Example text is read for at most EXAMPLE_HIT_BUDGET postings: a stop word matching two
//   million example contexts costs a bounded amount, and the answer says it is incomplete.
// - A feature's own document (label, explanation, top tokens) decides its place among the
//   features it matches; example counts rank only the example-only matches, after them. So a
//   relevance page within the document matches needs no example-only hit stored: they are only
//   counted, up to the reach.
// - A page sorted by a column either walks that column's index and tests each feature (when
//   matches are common) or sorts the matching rows (when they are few), whichever reads less.
import type { z } from 'zod';
import { FeaturescopeError } from '../shared/errors';
import type { Catalog } from './open';
import { SEARCH_SYMBOLS, spaceSymbols } from './migrations/symbols';
import { SearchQuery, type SearchResult, type SearchRow, type SearchScope, type SearchSort } from './types';
import { EXAMPLES_PER_FEATURE_MAX } from './writes';

/** A total is counted up to the next multiple of this past the requested page, then reported as a lower bound. */
export const TOTAL_STEP = 10_000;
/** Example-text postings read per text search; beyond it, example-only matches are those of the first postings (in catalog order). */
export const EXAMPLE_HIT_BUDGET = 100_000;

type ParsedQuery = z.output<typeof SearchQuery>;

/** The two bounds on a search's work; tests shrink them to reach them on small catalogs. */
export interface SearchLimits {
  totalStep: number;
  exampleHitBudget: number;
}
const LIMITS: SearchLimits = { totalStep: TOTAL_STEP, exampleHitBudget: EXAMPLE_HIT_BUDGET };

export interface SearchSql {
  /** Fills temp.search_hits with the text matches (text searches only). */
  fillSql: string | null;
  /** Fills temp.search_hits with the features whose own document matches only (a relevance page within them). */
  fillDocSql: string | null;
  /** Counts example-only matches not yet in temp.search_hits, up to @need (a relevance page served from document matches). */
  exampleCountSql: string | null;
  /** Counts example postings up to the budget + 1: more than the budget means the answer is incomplete. */
  postingsSql: string | null;
  /** The page of rows. */
  rowsSql: string;
  /** Counts matches up to @reach + 1; null when the analysis row already knows the total. */
  countSql: string | null;
  params: Record<string, string | number>;
}

/** How a page is fetched. `walk`: follow the sort column's index and test each row (no sort of the matches). */
export interface SearchPlan {
  walk?: boolean;
  /** The analysis has a row for every idx 0..n-1 (n given here), so row k of an unfiltered idx-sorted browse has idx k. */
  denseIdxCount?: number;
  /** The analysis's features are exactly the ids lo..hi: text hits are read in that range only, and need no lookup to drop other analyses'. */
  idRange?: IdRange;
  /**
   * The matches are exactly the sort column's ranks lo..hi (migration 0005): a density or max_act
   * sort with no text, no tags and filters on the sort column only. The page is a seek on the rank.
   */
  rankWindow?: RankWindow;
}

/** Positions lo..hi (inclusive) of one column's ascending or descending list; empty when hi < lo. */
export interface RankWindow {
  desc: boolean;
  lo: number;
  hi: number;
}
/** The rank column (and its index, named features_<column>) of a sort column's list in one direction. */
const rankColumn = (column: 'density' | 'max_act', desc: boolean) => `${column}${desc ? '_desc' : ''}_rank`;

const ORDER_COLUMNS: Record<Exclude<SearchSort, 'relevance'>, string> = { idx: 'f.idx', density: 'f.density', max_act: 'f.max_act', f1: 'f.explanation_f1' };
/** The index that yields rows in sort order (relevance without text sorts by idx). */
const SORT_INDEX: Record<SearchSort, string> = {
  idx: 'features_idx_stats',
  density: 'features_density',
  max_act: 'features_max_act',
  relevance: 'features_idx_stats',
  f1: 'features_f1',
};
const DEFAULT_DESC: Record<SearchSort, boolean> = { idx: false, density: true, max_act: true, relevance: false, f1: true };

/**
 * ORDER BY for a column sort, ties by idx. Unscored features (NULL F1, migration 0010) come last
 * both ways: "not scored" is not a score of 0. Descending puts NULLs last by itself, which lets
 * the walk follow features_f1.
 */
function orderBy(sort: Exclude<SearchSort, 'relevance' | 'idx'>, dir: 'ASC' | 'DESC'): string {
  const column = ORDER_COLUMNS[sort];
  if (sort === 'f1' && dir === 'ASC') return `${column} IS NULL, ${column} ASC, f.idx`;
  return `${column} ${dir}, f.idx`;
}

export interface IdRange {
  lo: number;
  hi: number;
}
const idRanges = new WeakMap<Catalog, Map<number, IdRange | null>>();

/**
 * The feature ids of an analysis when they are one contiguous run (analyze writes an analysis in
 * one pass, so they are unless two analyses were written at once), else null. A complete
 * analysis's rows never change, so this is read once per connection (one pass over an index,
 * ~50 ms on a million features) and kept.
 */
export function analysisIdRange(catalog: Catalog, analysisId: number, featureCount: number): IdRange | null {
  let known = idRanges.get(catalog);
  if (known === undefined) idRanges.set(catalog, (known = new Map()));
  if (!known.has(analysisId)) {
    const r = catalog.statement(`SELECT min(id) AS lo, max(id) AS hi FROM features INDEXED BY features_idx_stats WHERE analysis_id = ?`).get(analysisId) as {
      lo: number | null;
      hi: number | null;
    };
    known.set(analysisId, r.lo !== null && r.hi !== null && r.hi - r.lo + 1 === featureCount ? { lo: r.lo, hi: r.hi } : null);
  }
  return known.get(analysisId)!;
}

/**
 * The temp table of one search's text matches, one row per feature id. Connection-local (a
 * read-only connection may write its temp schema) and created once per connection, so no
 * search runs DDL that would re-prepare every cached statement.
 *   tier: 0 the user label matches, 1 the feature's own document matches, 2 only example text
 *   score: bm25 of the feature's document (lower is better), null in tier 2
 *   examples: how many of its examples contain the words (up to the budget: their sum tells whether it ran out)
 *   weight: what relevance orders by after the score: `examples` in tier 2; in tiers 0-1 the
 *     document decides alone, so a page of them needs no example counts
 */
export function ensureSearchHitsTable(catalog: Catalog): void {
  const exists = catalog.db.prepare(`SELECT 1 FROM temp.sqlite_schema WHERE name = 'search_hits'`).get();
  if (exists !== undefined) return;
  // Must precede the first temp object: changing temp_store drops the temp schema.
  catalog.db.pragma('temp_store = MEMORY');
  catalog.db.exec(`
    CREATE TEMP TABLE search_hits (
      fid INTEGER PRIMARY KEY, tier INTEGER NOT NULL, score REAL, examples INTEGER NOT NULL,
      weight INTEGER AS (CASE WHEN tier = 2 THEN examples ELSE 0 END));
    CREATE INDEX temp.search_hits_relevance ON search_hits (tier, score, weight DESC, fid);`);
}

/**
 * Build the SQL of a search against one analysis. Exported so tests can check its query plans.
 * `tagIds` are the ids of the query's tags, already resolved, smallest tag first.
 * A unary + keeps SQLite off an index for a term.
 */
export function buildSearchSql(query: ParsedQuery, analysisId: number, tagIds: readonly number[], plan: SearchPlan = {}, limits = LIMITS): SearchSql {
  const params: Record<string, string | number> = { analysisId, saeId: query.saeId, limit: query.limit, offset: query.offset, reach: reachOf(query, limits.totalStep) };
  const scope = query.scope ?? 'all';
  const text = scopedText(query);
  const match = text === null ? null : text.words;
  const sort: SearchSort = query.sort ?? (text !== null ? 'relevance' : 'idx');
  const walk = (plan.walk ?? false) && sort !== 'relevance';
  const desc = query.order === undefined ? DEFAULT_DESC[sort] : query.order === 'desc';
  const dir = desc ? 'DESC' : 'ASC';

  // Filters on f, in two forms: `where` lets the range pick its index; `walkWhere` tests each row of a walk.
  const where = ['f.analysis_id = @analysisId'];
  const walkWhere = ['f.analysis_id = @analysisId'];
  const range = (column: 'density' | 'max_act', op: '>=' | '<=', name: string, value: number | undefined) => {
    if (value === undefined) return;
    params[name] = value;
    where.push(`f.${column} ${op} @${name}`);
    walkWhere.push(`${sort !== column ? '+' : ''}f.${column} ${op} @${name}`);
  };
  range('density', '>=', 'densityMin', query.densityMin);
  range('density', '<=', 'densityMax', query.densityMax);
  range('max_act', '>=', 'maxActMin', query.maxActMin);
  range('max_act', '<=', 'maxActMax', query.maxActMax);
  const hasTag = (i: number) => `EXISTS (SELECT 1 FROM feature_tags ft WHERE ft.sae_id = @saeId AND ft.idx = f.idx AND ft.tag_id = @tag${i})`;
  tagIds.forEach((tagId, i) => {
    params[`tag${i}`] = tagId;
    walkWhere.push(hasTag(i));
    // Browse with tags starts from the first tag's rows and looks each feature up by idx: cost
    // follows the tag's size, not the width of a density/max_act range.
    where.push(i === 0 ? `t0.sae_id = @saeId AND t0.tag_id = @tag0` : `f.idx IN (SELECT idx FROM feature_tags WHERE sae_id = @saeId AND tag_id = @tag${i})`);
  });

  const columns = `f.idx, f.density, f.max_act AS maxAct, f.mean_act AS meanAct, f.explanation, f.top_tokens AS topTokens, l.user_label AS userLabel,
    f.explanation_f1 AS explanationF1, f.explanation_separator AS separator`;
  const labelJoin = `LEFT JOIN labels l ON l.sae_id = f.sae_id AND l.idx = f.idx`;
  const columnOrder = sort === 'idx' || sort === 'relevance' ? `f.idx ${dir}` : orderBy(sort, dir);
  const walkFrom = `features f INDEXED BY ${SORT_INDEX[sort]}`;
  // Late row lookup: pick the page's feature ids from index entries alone (every index holds the
  // rowid), then read only those rows and labels. A row skipped by OFFSET costs one index step,
  // not a table row and a label lookup (a page at offset 500,000 went from 2-6 s to milliseconds).
  const pageOf = (from: string, whereSql: string) =>
    `SELECT ${columns}, NULL AS score FROM (SELECT f.id FROM ${from} WHERE ${whereSql} ORDER BY ${columnOrder} LIMIT @limit OFFSET @offset) p
     CROSS JOIN features f ON f.id = p.id ${labelJoin} ORDER BY ${columnOrder}`;

  if (text === null) {
    // Indexes are named, not left to the planner: without statistics it cannot know how wide a
    // range is, sampled statistics claim analysis_id is selective, and a wrong pick cost 10-100×
    // on the 1M-feature benchmark.
    const rangeIndex =
      query.densityMin !== undefined || query.densityMax !== undefined
        ? 'features_density'
        : query.maxActMin !== undefined || query.maxActMax !== undefined
          ? 'features_max_act'
          : SORT_INDEX[sort];
    const from =
      tagIds.length > 0
        ? `feature_tags t0 CROSS JOIN features f INDEXED BY features_idx_stats ON f.analysis_id = @analysisId AND f.idx = t0.idx`
        : `features f INDEXED BY ${rangeIndex}`;
    const filtered = where.length > 1;
    // Row k of idx order is idx k (or n-1-k): seek to it instead of stepping over k rows.
    const seek = plan.denseIdxCount !== undefined && !filtered && (sort === 'idx' || sort === 'relevance');
    if (seek) params.seekIdx = desc ? plan.denseIdxCount! - 1 - query.offset : query.offset;
    // Row k of a rank window is the list's position lo+k: seek to it.
    const window = rankSeekable(query, tagIds, sort) && plan.rankWindow?.desc === desc ? plan.rankWindow : undefined;
    let rowsSql: string;
    if (window !== undefined && (sort === 'density' || sort === 'max_act')) {
      params.rankLo = window.lo + query.offset;
      params.rankHi = window.hi;
      const rank = rankColumn(sort, desc);
      rowsSql = `SELECT ${columns}, NULL AS score FROM features f INDEXED BY features_${rank} ${labelJoin}
         WHERE f.analysis_id = @analysisId AND f.${rank} BETWEEN @rankLo AND @rankHi ORDER BY f.${rank} LIMIT @limit`;
    } else if (seek) {
      rowsSql = `SELECT ${columns}, NULL AS score FROM features f INDEXED BY features_idx_stats ${labelJoin}
         WHERE f.analysis_id = @analysisId AND f.idx ${desc ? '<=' : '>='} @seekIdx ORDER BY f.idx ${dir} LIMIT @limit`;
    } else rowsSql = pageOf(walk ? walkFrom : from, (walk ? walkWhere : where).join(' AND '));
    return {
      fillSql: null,
      fillDocSql: null,
      exampleCountSql: null,
      postingsSql: null,
      rowsSql,
      // Without filters the count is kept on the analysis row.
      countSql: filtered && window === undefined ? `SELECT count(*) FROM (SELECT 1 FROM ${from} WHERE ${where.join(' AND ')} LIMIT @reach + 1)` : null,
      params,
    };
  }

  params.exampleBudget = limits.exampleHitBudget;
  const ids = plan.idRange;
  let inRange = '';
  let examplesInRange = '';
  if (ids !== undefined) {
    Object.assign(params, { idLo: ids.lo, idHi: ids.hi, exampleLo: ids.lo * EXAMPLES_PER_FEATURE_MAX, exampleHi: (ids.hi + 1) * EXAMPLES_PER_FEATURE_MAX - 1 });
    inRange = ' AND rowid BETWEEN @idLo AND @idHi';
    examplesInRange = ' AND rowid BETWEEN @exampleLo AND @exampleHi';
  }
  // One row per matching feature id (of any analysis: the join below keeps the active one's).
  // Example hits map to their feature by a shift of the example id (writes.ts), read in id
  // order up to the budget (+1, so that running out is visible).
  // Symbol terms match top tokens only (migration 0009): with words, a feature must match both;
  // alone, a symbol search has no example part.
  let postings: string;
  let documentHits: string;
  const symbols = text.symbols;
  if (symbols !== null) params.symbols = symbols;
  const symbolHit = (rowid: string) => (symbols === null ? '' : ` AND ${rowid} IN (SELECT rowid FROM symbols_fts WHERE symbols_fts MATCH @symbols${inRange})`);
  // A scope other than `all` reads no example text, and only its own column of features_fts.
  const noPostings = `SELECT NULL AS rowid WHERE 0`;
  if (match === null) {
    postings = noPostings;
    documentHits = `SELECT rowid AS fid, 0 AS labelHit, rank AS score, 0 AS examples FROM symbols_fts WHERE symbols_fts MATCH @symbols${inRange}`;
  } else if (scope !== 'all') {
    params.match = `{${SCOPE_COLUMNS[scope]}} : (${match})`;
    postings = noPostings;
    documentHits = `SELECT rowid AS fid, ${scope === 'labels' ? 1 : 0} AS labelHit, rank AS score, 0 AS examples FROM features_fts WHERE features_fts MATCH @match${inRange}${symbolHit('rowid')}`;
  } else {
    params.match = match;
    params.labelMatch = `{user_label} : (${match})`;
    postings = `SELECT rowid FROM examples_fts WHERE examples_fts MATCH @match${examplesInRange}${symbolHit(`rowid / ${EXAMPLES_PER_FEATURE_MAX}`)} LIMIT @exampleBudget + 1`;
    documentHits = `SELECT rowid AS fid, 0 AS labelHit, rank AS score, 0 AS examples FROM features_fts WHERE features_fts MATCH @match${inRange}${symbolHit('rowid')}
      UNION ALL
      SELECT rowid, 1, NULL, 0 FROM features_fts WHERE features_fts MATCH @labelMatch${inRange}${symbolHit('rowid')}`;
  }
  const fillFrom = (hits: string) => `INSERT INTO temp.search_hits (fid, tier, score, examples)
    SELECT fid, CASE WHEN max(labelHit) = 1 THEN 0 WHEN min(score) IS NOT NULL THEN 1 ELSE 2 END, min(score), sum(examples)
    FROM (${hits}) GROUP BY fid`;
  const fillSql = fillFrom(`${documentHits}
      UNION ALL
      SELECT rowid / ${EXAMPLES_PER_FEATURE_MAX}, 0, NULL, 1 FROM (${postings})`);
  const fillDocSql = fillFrom(documentHits);
  const exampleFids = `SELECT rowid / ${EXAMPLES_PER_FEATURE_MAX} AS fid FROM (${postings})`;
  const notStored = `NOT EXISTS (SELECT 1 FROM temp.search_hits h WHERE h.fid = x.fid)`;
  const exampleCountSql = `SELECT count(*) FROM (SELECT DISTINCT fid FROM (${exampleFids}) x WHERE ${notStored} LIMIT @need)`;
  const postingsSql = `SELECT count(*) FROM (${postings})`;
  const textWhere = walkWhere.map((w) => w.replace(/^\+/, '')).join(' AND ');
  const joined = `temp.search_hits h NOT INDEXED CROSS JOIN features f ON f.id = h.fid`;
  // Every hit is a feature of this analysis and nothing else filters: no lookup per hit.
  const hitsOnly = ids !== undefined && walkWhere.length === 1;
  // Relevance, best first: the user label matches; then the feature's own document (label,
  // explanation, top tokens: what it fires on) by bm25 (weights in migration 0003); then how
  // many of its examples contain the words; then catalog order. The relevance index yields
  // that order, so only the rows of the page (and those skipped before it) are joined.
  const withScore = (sql: string) => sql.replace('NULL AS score', '(SELECT h.score FROM temp.search_hits h WHERE h.fid = f.id) AS score');
  const rowsSql =
    sort === 'relevance'
      ? `SELECT ${columns}, p.score AS score FROM (
           SELECT h.fid, h.tier, h.score, h.weight FROM temp.search_hits h INDEXED BY search_hits_relevance
           ${hitsOnly ? '' : `CROSS JOIN features f ON f.id = h.fid WHERE ${textWhere}`}
           ORDER BY h.tier, h.score, h.weight DESC, h.fid LIMIT @limit OFFSET @offset) p
         CROSS JOIN features f ON f.id = p.fid ${labelJoin} ORDER BY p.tier, p.score, p.weight DESC, p.fid`
      : walk
        ? withScore(pageOf(walkFrom, `${walkWhere.join(' AND ')} AND EXISTS (SELECT 1 FROM temp.search_hits h WHERE h.fid = f.id)`))
        : withScore(pageOf(joined, textWhere));
  return {
    fillSql,
    fillDocSql,
    exampleCountSql,
    postingsSql,
    rowsSql,
    countSql: hitsOnly
      ? `SELECT count(*) FROM (SELECT 1 FROM temp.search_hits LIMIT @reach + 1)`
      : `SELECT count(*) FROM (SELECT 1 FROM ${joined} WHERE ${textWhere} LIMIT @reach + 1)`,
    params,
  };
}

function hasColumnFilter(query: ParsedQuery): boolean {
  return [query.densityMin, query.densityMax, query.maxActMin, query.maxActMax].some((v) => v !== undefined);
}

/**
 * Whether a browse's matches are one run of the sort column's ranks: a density or max_act sort
 * with no text and no tags, filtered (if at all) on the sort column only.
 */
function rankSeekable(query: ParsedQuery, tagIds: readonly number[], sort: SearchSort): boolean {
  if (scopedText(query) !== null) return false;
  if (tagIds.length > 0) return false;
  if (sort === 'density') return query.maxActMin === undefined && query.maxActMax === undefined;
  if (sort === 'max_act') return query.densityMin === undefined && query.densityMax === undefined;
  return false;
}

/**
 * The positions, in an analysis's ascending or descending list by a column, of the features
 * whose column lies in [min, max]; null when the analysis has no ranks (written before they
 * existed and not migrated). Values are monotone along a list, so each bound is a binary search
 * over positions: ~20 seeks whatever the ties.
 */
export function rankWindowOf(
  catalog: Catalog,
  analysisId: number,
  featureCount: number,
  column: 'density' | 'max_act',
  desc: boolean,
  min?: number,
  max?: number,
): RankWindow | null {
  const rank = rankColumn(column, desc);
  const valueAt = catalog.statement(`SELECT ${column} FROM features INDEXED BY features_${rank} WHERE analysis_id = ? AND ${rank} = ?`).pluck();
  if (featureCount === 0) return { desc, lo: 0, hi: -1 };
  if (valueAt.get(analysisId, 0) === undefined || valueAt.get(analysisId, featureCount - 1) === undefined) return null;
  /** The first rank whose value passes `test` (featureCount when none does); `test` must be monotone in rank. */
  const firstRank = (test: (value: number) => boolean): number => {
    let lo = 0;
    let hi = featureCount;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (test(valueAt.get(analysisId, mid) as number)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  // Ascending, the window starts at the first value >= min and ends before the first > max;
  // descending, it starts at the first <= max and ends before the first < min.
  const [start, end] = desc ? [max, min] : [min, max];
  return {
    desc,
    lo: start === undefined ? 0 : firstRank(desc ? (v) => v <= start : (v) => v >= start),
    hi: end === undefined ? featureCount - 1 : firstRank(desc ? (v) => v < end : (v) => v > end) - 1,
  };
}

/** How far a total is counted for this page: the next multiple of TOTAL_STEP past its last row. */
export function reachOf(query: Pick<ParsedQuery, 'offset' | 'limit'>, step = TOTAL_STEP): number {
  return step * (1 + Math.floor((query.offset + query.limit) / step));
}

/** Search the features of an SAE's active analysis. */
export function searchFeatures(catalog: Catalog, input: SearchQuery, limits = LIMITS): SearchResult {
  const parsed = SearchQuery.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.map(String).join('.');
    throw new FeaturescopeError('invalid_input', `search: ${field || 'query'}: ${issue.message}`, field || undefined);
  }
  const query = parsed.data;
  const none: SearchResult = { total: 0, totalIsLowerBound: false, rows: [] };
  // Terms a scope cannot search (punctuation in labels or explanations) match nothing, rather
  // than leaving an empty query that would list every feature.
  if (query.q !== undefined && textQuery(query.q) !== null && scopedText(query) === null) return none;
  const match = scopedText(query);
  if (match !== null) ensureSearchHitsTable(catalog);
  return catalog.db.transaction((): SearchResult => {
    const sae = catalog.statement(`SELECT active_analysis_id AS analysisId, d_sae AS dSae FROM saes WHERE id = ?`).get(query.saeId) as
      | { analysisId: number | null; dSae: number }
      | undefined;
    if (sae === undefined) throw new FeaturescopeError('not_found', `There is no SAE ${query.saeId} in catalog ${catalog.path}.`, 'saeId');
    if (sae.analysisId === null) return none;

    const tagIds: number[] = [];
    for (const name of query.tags ?? []) {
      const id = catalog.statement(`SELECT id FROM tags WHERE name = ?`).pluck().get(name.trim()) as number | undefined;
      if (id === undefined) return none;
      tagIds.push(id);
    }
    const tagSize = (id: number) => Number(catalog.statement(`SELECT count(*) FROM feature_tags WHERE tag_id = ? AND sae_id = ?`).pluck().get(id, query.saeId));
    const sizes = new Map(tagIds.map((id) => [id, tagSize(id)]));
    tagIds.sort((a, b) => sizes.get(a)! - sizes.get(b)!);
    const featureCount = Number(catalog.statement(`SELECT feature_count FROM analyses WHERE id = ?`).pluck().get(sae.analysisId));
    const reach = reachOf(query, limits.totalStep);
    const sort: SearchSort = query.sort ?? (match !== null ? 'relevance' : 'idx');

    let candidates = featureCount;
    let truncated = false;
    const idRange = match === null ? undefined : (analysisIdRange(catalog, sae.analysisId, featureCount) ?? undefined);
    if (match !== null) {
      const fill = buildSearchSql(query, sae.analysisId, tagIds, { idRange }, limits);
      catalog.statement(`DELETE FROM temp.search_hits`).run();
      // A relevance page within the document matches, nothing else filtering: the example-only
      // matches come after the page, so they are only counted, and only as far as the reach.
      const hitsOnly = idRange !== undefined && tagIds.length === 0 && !hasColumnFilter(query);
      const documentOnly = sort === 'relevance' && hitsOnly;
      if (documentOnly) candidates = catalog.statement(fill.fillDocSql!).run(fill.params).changes;
      if (documentOnly && query.offset + query.limit <= candidates) {
        const overBudget = () => Number(catalog.statement(fill.postingsSql!).pluck().get(fill.params)) > limits.exampleHitBudget;
        const need = reach + 1 - candidates;
        const more = need <= 0 ? 0 : Number(catalog.statement(fill.exampleCountSql!).pluck().get({ ...fill.params, need }));
        const counted = candidates + more;
        // Past the reach the total is a lower bound anyway; short of it, the postings tell whether the budget cut some.
        const sql = buildSearchSql(query, sae.analysisId, tagIds, { idRange }, limits);
        const raw = catalog.statement(sql.rowsSql).all(sql.params) as Array<Omit<SearchRow, 'topTokens'> & { topTokens: string }>;
        return {
          total: Math.min(counted, reach),
          totalIsLowerBound: counted > reach || overBudget(),
          rows: raw.map(({ topTokens, ...row }) => ({ ...row, topTokens: JSON.parse(topTokens) as string[] })),
        };
      }
      if (documentOnly) catalog.statement(`DELETE FROM temp.search_hits`).run();
      candidates = catalog.statement(fill.fillSql!).run(fill.params).changes;
      truncated = candidates > 0 && Number(catalog.statement(`SELECT sum(examples) FROM temp.search_hits`).pluck().get()) > limits.exampleHitBudget;
    }

    // A density or max_act browse filtered on its own column only: the matches are a run of ranks,
    // so the total is exact and free, and any page is a seek.
    const rankWindow =
      rankSeekable(query, tagIds, sort) && (sort === 'density' || sort === 'max_act')
        ? (rankWindowOf(
            catalog,
            sae.analysisId,
            featureCount,
            sort,
            query.order === undefined ? DEFAULT_DESC[sort] : query.order === 'desc',
            sort === 'density' ? query.densityMin : query.maxActMin,
            sort === 'density' ? query.densityMax : query.maxActMax,
          ) ?? undefined)
        : undefined;
    const counting = buildSearchSql(query, sae.analysisId, tagIds, { idRange, rankWindow }, limits);
    const counted =
      rankWindow !== undefined
        ? Math.max(0, rankWindow.hi - rankWindow.lo + 1)
        : counting.countSql === null
          ? featureCount
          : Number(catalog.statement(counting.countSql).pluck().get(counting.params));
    // The analysis row's count and a rank window's size are exact and free; a counted total stops at the reach.
    const total = counting.countSql === null ? counted : Math.min(counted, reach);
    const totalIsLowerBound = (counting.countSql !== null && counted > reach) || truncated;
    const result = (rows: SearchResult['rows']): SearchResult => ({ total, totalIsLowerBound, rows });
    if (total === 0 || query.offset >= total) return result([]);

    // Walking the sort index reads about (offset + limit) · N / matches entries; the other form
    // reads every match (of the range, the smallest tag, or the text hits) and sorts them.
    // A lower-bound total makes the walk's estimate an upper bound, so it errs towards walking.
    const walkCost = (query.offset + query.limit) * (featureCount / total);
    const sortCost = match !== null ? candidates : tagIds.length > 0 ? sizes.get(tagIds[0]!)! : totalIsLowerBound ? Infinity : total;
    // idx is unique per analysis and below d_sae, so N rows for N = d_sae means every idx is there.
    const denseIdxCount = featureCount === sae.dSae ? featureCount : undefined;
    // A walk step is an index step (and a probe of the in-memory hits); the other form pays a row
    // lookup and a sort per match: for text the walk wins at a few times more steps.
    const walk = sort !== 'relevance' && walkCost * (match !== null ? 0.25 : 2) < sortCost;
    const sql = buildSearchSql(query, sae.analysisId, tagIds, { walk, denseIdxCount, idRange, rankWindow }, limits);
    const raw = catalog.statement(sql.rowsSql).all(sql.params) as Array<Omit<SearchRow, 'topTokens'> & { topTokens: string }>;
    return result(raw.map(({ topTokens, ...row }) => ({ ...row, topTokens: JSON.parse(topTokens) as string[] })));
  })();
}

/** features_fts's column (migration 0003) each narrower scope searches. */
const SCOPE_COLUMNS: Record<Exclude<SearchScope, 'all'>, string> = { labels: 'user_label', explanations: 'explanation', tokens: 'top_tokens' };

/**
 * The query's text as its scope searches it. Symbol terms have an index over top tokens only
 * (migration 0009), so the labels and explanations scopes drop them; null when nothing is left.
 */
function scopedText(query: Pick<ParsedQuery, 'q' | 'scope'>): TextQuery | null {
  const text = query.q === undefined ? null : textQuery(query.q);
  if (text === null || query.scope === undefined || query.scope === 'all' || query.scope === 'tokens') return text;
  return text.words === null ? null : { words: text.words, symbols: null };
}

/**
 * Turn what a person typed into an FTS5 query: each word becomes a quoted phrase (so FTS5
 * syntax characters are plain text), words are ANDed, a trailing * keeps prefix matching.
 * Returns null when no word is left (symbol terms: textQuery).
 */
export function toFtsQuery(text: string): string | null {
  return textQuery(text)?.words ?? null;
}

/** A typed query as FTS5 queries: `words` for features_fts/examples_fts, `symbols` for symbols_fts (migration 0009). */
export interface TextQuery {
  words: string | null;
  symbols: string | null;
}

/**
 * Splits what a person typed into word terms and symbol terms ('"', '.', '->': no letter or
 * digit, which unicode61 would drop). A symbol term is a phrase of its symbols, each one token
 * as the symbols index stores them. Null when nothing searchable is left.
 */
export function textQuery(text: string): TextQuery | null {
  const words: string[] = [];
  const symbols: string[] = [];
  const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
  for (const raw of text.split(/\s+/)) {
    if (words.length + symbols.length === 16) break;
    if (raw === '') continue;
    if (/[\p{L}\p{N}_]/u.test(raw)) {
      const prefix = raw.endsWith('*');
      words.push(`${quote(raw.replace(/\*+$/, ''))}${prefix ? '*' : ''}`);
      continue;
    }
    // Characters outside SEARCH_SYMBOLS (an emoji) are not indexed: a term of only those is dropped.
    if ([...raw].some((ch) => SEARCH_SYMBOLS.includes(ch))) symbols.push(quote(spaceSymbols(raw).trim().replace(/\s+/g, ' ')));
  }
  if (words.length === 0 && symbols.length === 0) return null;
  return { words: words.length === 0 ? null : words.join(' '), symbols: symbols.length === 0 ? null : symbols.join(' ') };
}
