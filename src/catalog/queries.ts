// Readers: search and the feature page. Safe on a read-only connection of the host.
// Every read sees only the SAE's active analysis (see migrations/0001_core.ts).
import type { z } from 'zod';
import { FeaturescopeError } from '../shared/errors';
import type { Catalog } from './open';
import {
  Histogram,
  LogitEffects,
  SearchQuery,
  type AnalysisInfo,
  type Experiment,
  type ExperimentRef,
  type FeaturePage,
  type SearchResult,
  type SearchRow,
  type SearchSort,
  type StoredExample,
} from './types';
import { decodeActs, EXAMPLES_PER_FEATURE_MAX, experimentCiteId, experimentIdOf } from './writes';

/** The SQL of the feature page, exported so tests can check each statement's query plan. */
export const FEATURE_PAGE_SQL = {
  sae: `SELECT id, name, hook_name AS hookName, architecture, d_sae AS dSae, active_analysis_id AS analysisId FROM saes WHERE id = ?`,
  analysis: `SELECT id, sae_id AS saeId, corpus_id AS corpusId, state, started_at AS startedAt, ended_at AS endedAt, feature_count AS featureCount
             FROM analyses WHERE id = ?`,
  feature: `SELECT id, idx, density, max_act AS maxAct, mean_act AS meanAct, histogram, explanation, top_tokens AS topTokens
            FROM features WHERE analysis_id = ? AND idx = ?`,
  examples: `SELECT kind, bucket, rank, max_act AS maxAct, tokens, acts, doc, start FROM examples
             WHERE feature_id = ? ORDER BY kind DESC, bucket DESC, rank`,
  logitEffects: `SELECT promoted, suppressed FROM logit_effects WHERE feature_id = ?`,
  label: `SELECT user_label AS userLabel, updated_at AS updatedAt FROM labels WHERE sae_id = ? AND idx = ?`,
  tags: `SELECT t.name FROM feature_tags ft JOIN tags t ON t.id = ft.tag_id WHERE ft.sae_id = ? AND ft.idx = ? ORDER BY t.name`,
  notes: `SELECT id, text, created_at AS createdAt FROM notes WHERE sae_id = ? AND idx = ? ORDER BY created_at, id`,
} as const;

/** Everything the feature page shows, read in one snapshot. */
export function getFeaturePage(catalog: Catalog, saeId: number, idx: number): FeaturePage {
  const q = FEATURE_PAGE_SQL;
  return catalog.db.transaction(() => {
    const sae = catalog.statement(q.sae).get(saeId) as
      | { id: number; name: string; hookName: string; architecture: string; dSae: number; analysisId: number | null }
      | undefined;
    if (sae === undefined) throw new FeaturescopeError('not_found', `There is no SAE ${saeId} in catalog ${catalog.path}.`, 'saeId');
    if (sae.analysisId === null) {
      throw new FeaturescopeError('not_found', `SAE ${saeId} (${sae.name}) has no completed analysis yet: run an analysis first.`, 'saeId');
    }
    const analysis = catalog.statement(q.analysis).get(sae.analysisId) as AnalysisInfo;
    const f = catalog.statement(q.feature).get(sae.analysisId, idx) as
      | { id: number; idx: number; density: number; maxAct: number; meanAct: number; histogram: string | null; explanation: string; topTokens: string }
      | undefined;
    if (f === undefined) throw new FeaturescopeError('not_found', `SAE ${saeId} (${sae.name}) has no feature ${idx}.`, 'idx');

    const examples = (catalog.statement(q.examples).all(f.id) as Array<Omit<StoredExample, 'tokens' | 'values'> & { tokens: string; acts: Buffer }>).map(
      ({ tokens, acts, ...rest }) => ({ ...rest, tokens: JSON.parse(tokens) as string[], values: decodeActs(acts) }),
    );
    const logits = catalog.statement(q.logitEffects).get(f.id) as { promoted: string; suppressed: string } | undefined;
    const label = catalog.statement(q.label).get(saeId, idx) as { userLabel: string; updatedAt: number } | undefined;
    const tags = catalog.statement(q.tags).pluck().all(saeId, idx) as string[];
    const notes = catalog.statement(q.notes).all(saeId, idx) as FeaturePage['notes'];

    return {
      sae: { id: sae.id, name: sae.name, hookName: sae.hookName, architecture: sae.architecture, dSae: sae.dSae },
      analysis,
      feature: {
        idx: f.idx,
        density: f.density,
        maxAct: f.maxAct,
        meanAct: f.meanAct,
        histogram: f.histogram === null ? null : parseStored(Histogram, f.histogram, catalog, 'features.histogram'),
        topTokens: JSON.parse(f.topTokens) as string[],
      },
      label: { auto: f.explanation, user: label?.userLabel ?? null, updatedAt: label?.updatedAt ?? null },
      examples,
      logitEffects:
        logits === undefined
          ? null
          : parseStored(LogitEffects, { promoted: JSON.parse(logits.promoted), suppressed: JSON.parse(logits.suppressed) }, catalog, 'logit_effects'),
      tags,
      notes,
    };
  })();
}

interface SearchSql {
  /** Page of rows; when q is given each row also carries `total`. */
  rowsSql: string;
  /** Number of matching features (used when the page is empty or q is absent). */
  countSql: string | null;
  params: Record<string, string | number>;
}

const ORDER_COLUMNS: Record<Exclude<SearchSort, 'relevance'>, string> = { idx: 'f.idx', density: 'f.density', max_act: 'f.max_act' };
/** The index that yields a browse page in sort order (relevance without text sorts by idx). */
const SORT_INDEX: Record<SearchSort, string> = {
  idx: 'features_idx_stats',
  density: 'features_density',
  max_act: 'features_max_act',
  relevance: 'features_idx_stats',
};
const DEFAULT_DESC: Record<SearchSort, boolean> = { idx: false, density: true, max_act: true, relevance: false };

/**
 * Build the SQL of a search against one analysis. Exported so tests can check its query plan.
 * `tagIds` are the ids of the query's tags, already resolved.
 *
 * `driveBySort` (browse without text only): walk the index of the sort column in order and test
 * the other filters row by row, stopping after offset + limit hits, instead of collecting every
 * row in the filtered range and sorting it. searchFeatures picks it when the filters keep many
 * rows; the count always uses the range form. A unary + keeps SQLite off an index for a term.
 */
export function buildSearchSql(
  query: z.output<typeof SearchQuery>,
  analysisId: number,
  tagIds: readonly number[],
  plan: { driveBySort?: boolean } = {},
): SearchSql {
  const params: Record<string, string | number> = { analysisId, saeId: query.saeId, limit: query.limit, offset: query.offset };
  const match = query.q === undefined ? null : toFtsQuery(query.q);
  const sort: SearchSort = query.sort ?? (match !== null ? 'relevance' : 'idx');
  const driveBySort = (plan.driveBySort ?? false) && match === null;
  const where = ['f.analysis_id = @analysisId'];
  const rowWhere = ['f.analysis_id = @analysisId'];
  const range = (column: 'density' | 'max_act', op: '>=' | '<=', name: string, value: number | undefined) => {
    if (value === undefined) return;
    params[name] = value;
    where.push(`f.${column} ${op} @${name}`);
    rowWhere.push(`${driveBySort && sort !== column ? '+' : ''}f.${column} ${op} @${name}`);
  };
  range('density', '>=', 'densityMin', query.densityMin);
  range('density', '<=', 'densityMax', query.densityMax);
  range('max_act', '>=', 'maxActMin', query.maxActMin);
  range('max_act', '<=', 'maxActMax', query.maxActMax);
  // With tags (smallest first), the range form starts from the first tag's rows and looks each
  // feature up by idx: cost follows the tag's size, not the width of a density/max_act range.
  tagIds.forEach((tagId, i) => {
    params[`tag${i}`] = tagId;
    if (i === 0) where.push(`t0.sae_id = @saeId AND t0.tag_id = @tag0`);
    else where.push(`f.idx IN (SELECT idx FROM feature_tags WHERE sae_id = @saeId AND tag_id = @tag${i})`);
    rowWhere.push(
      driveBySort
        ? `EXISTS (SELECT 1 FROM feature_tags ft WHERE ft.sae_id = @saeId AND ft.idx = f.idx AND ft.tag_id = @tag${i})`
        : where[where.length - 1]!,
    );
  });
  // Indexes are named, not left to the planner: without statistics it cannot know how wide a
  // range is, sampled statistics (analysis_limit) claim analysis_id is selective, and a wrong
  // pick here cost 10-100× on the 1M-feature benchmark.
  const rangeIndex =
    query.densityMin !== undefined || query.densityMax !== undefined
      ? 'features_density'
      : query.maxActMin !== undefined || query.maxActMax !== undefined
        ? 'features_max_act'
        : SORT_INDEX[sort];
  const fromTagged =
    tagIds.length > 0
      ? `feature_tags t0 CROSS JOIN features f INDEXED BY features_idx_stats ON f.analysis_id = @analysisId AND f.idx = t0.idx`
      : `features f INDEXED BY ${rangeIndex}`;
  const rowFrom = driveBySort ? `features f INDEXED BY ${SORT_INDEX[sort]}` : fromTagged;

  const desc = query.order === undefined ? DEFAULT_DESC[sort] : query.order === 'desc';
  const dir = desc ? 'DESC' : 'ASC';
  const orderBy =
    sort === 'relevance'
      ? match !== null
        ? `b.labelHit DESC, b.score IS NULL, b.score, b.examples DESC, f.idx`
        : `f.idx ${dir}`
      : sort === 'idx'
        ? `f.idx ${dir}`
        : `${ORDER_COLUMNS[sort]} ${dir}, f.idx`;
  const columns = `f.idx, f.density, f.max_act AS maxAct, f.mean_act AS meanAct, f.explanation, f.top_tokens AS topTokens, l.user_label AS userLabel`;
  const labelJoin = `LEFT JOIN labels l ON l.sae_id = f.sae_id AND l.idx = f.idx`;
  const whereSql = where.join(' AND ');

  if (match === null) {
    return {
      rowsSql: `SELECT ${columns}, NULL AS score FROM ${rowFrom} ${labelJoin} WHERE ${rowWhere.join(' AND ')} ORDER BY ${orderBy} LIMIT @limit OFFSET @offset`,
      // Without filters the count is kept on the analysis row.
      countSql: where.length === 1 ? null : `SELECT count(*) FROM ${fromTagged} WHERE ${whereSql}`,
      params,
    };
  }

  params.match = match;
  // Relevance, best first: features whose user label matches; then features whose own document
  // (label, explanation, top tokens: what the feature fires on) matches, by bm25 (the hidden
  // rank column, weights set in migration 0003); then by how many of their examples contain the
  // words. Example hits are counted, not ranked: bm25 over 50k short contexts costs more than
  // the rest of the query and says little, since all contexts are about the same length.
  // Text hits drive; tags are tested per hit (the tag-first join does not apply here).
  const textWhere = rowWhere
    .map((w) => (w.startsWith('t0.') ? `f.idx IN (SELECT idx FROM feature_tags WHERE sae_id = @saeId AND tag_id = @tag0)` : w))
    .join(' AND ');
  params.labelMatch = `{user_label} : (${match})`;
  const hits = `WITH hits(fid, doc, examples, labelHit) AS (
      SELECT rowid, rank, 0, 0 FROM features_fts WHERE features_fts MATCH @match
      UNION ALL
      SELECT rowid, NULL, 0, 1 FROM features_fts WHERE features_fts MATCH @labelMatch
      UNION ALL
      SELECT rowid / ${EXAMPLES_PER_FEATURE_MAX}, NULL, 1, 0 FROM examples_fts WHERE examples_fts MATCH @match
    ), best(fid, score, examples, labelHit) AS (SELECT fid, min(doc), sum(examples), max(labelHit) FROM hits GROUP BY fid)`;
  return {
    rowsSql: `${hits} SELECT ${columns}, b.score AS score, count(*) OVER () AS total
      FROM best b CROSS JOIN features f ON f.id = b.fid ${labelJoin}
      WHERE ${textWhere} ORDER BY ${orderBy} LIMIT @limit OFFSET @offset`,
    countSql: `${hits} SELECT count(*) FROM best b CROSS JOIN features f ON f.id = b.fid WHERE ${textWhere}`,
    params,
  };
}

/** Search the features of an SAE's active analysis. */
export function searchFeatures(catalog: Catalog, input: SearchQuery): SearchResult {
  const parsed = SearchQuery.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.map(String).join('.');
    throw new FeaturescopeError('invalid_input', `search: ${field || 'query'}: ${issue.message}`, field || undefined);
  }
  const query = parsed.data;
  return catalog.db.transaction((): SearchResult => {
    const sae = catalog.statement(`SELECT active_analysis_id AS analysisId, d_sae AS dSae FROM saes WHERE id = ?`).get(query.saeId) as
      | { analysisId: number | null; dSae: number }
      | undefined;
    if (sae === undefined) throw new FeaturescopeError('not_found', `There is no SAE ${query.saeId} in catalog ${catalog.path}.`, 'saeId');
    if (sae.analysisId === null) return { total: 0, rows: [] };

    const tagIds: number[] = [];
    for (const name of query.tags ?? []) {
      const id = catalog.statement(`SELECT id FROM tags WHERE name = ?`).pluck().get(name.trim()) as number | undefined;
      if (id === undefined) return { total: 0, rows: [] };
      tagIds.push(id);
    }
    const tagSize = (id: number) => Number(catalog.statement(`SELECT count(*) FROM feature_tags WHERE tag_id = ? AND sae_id = ?`).pluck().get(id, query.saeId));
    if (tagIds.length > 1) tagIds.sort((a, b) => tagSize(a) - tagSize(b));

    const featureCount = Number(catalog.statement(`SELECT feature_count FROM analyses WHERE id = ?`).pluck().get(sae.analysisId));
    if (query.q === undefined || toFtsQuery(query.q) === null) {
      // Browse: count first (the UI needs it anyway), then choose how to fetch the page.
      const counting = buildSearchSql(query, sae.analysisId, tagIds);
      let total: number;
      if (counting.countSql === null) total = featureCount;
      else if (featureCount === sae.dSae && tagIds.length === 1 && !hasRange(query)) {
        // Every idx of the SAE has a row in this analysis, so the tag's own row count is the
        // answer: one index range instead of a lookup per tagged feature.
        total = tagSize(tagIds[0]!);
      } else total = countByComplement(catalog, query, sae.analysisId, featureCount) ?? Number(catalog.statement(counting.countSql).pluck().get(counting.params));
      if (total === 0 || query.offset >= total) return { total, rows: [] };
      // Walking the sort index reads about (offset + limit) · N / total entries; the range form
      // reads every row of the range (or of the smallest tag) and sorts them. Prefer the walk
      // when it is clearly cheaper.
      const walk = (query.offset + query.limit) * (featureCount / total);
      const rangeCost = tagIds.length > 0 ? tagSize(tagIds[0]!) : total;
      const sql = walk * 2 < rangeCost ? buildSearchSql(query, sae.analysisId, tagIds, { driveBySort: true }) : counting;
      const raw = catalog.statement(sql.rowsSql).all(sql.params) as Array<Omit<SearchRow, 'topTokens'> & { topTokens: string }>;
      return { total, rows: raw.map(({ topTokens, ...row }) => ({ ...row, topTokens: JSON.parse(topTokens) as string[] })) };
    }

    const sql = buildSearchSql(query, sae.analysisId, tagIds);
    const raw = catalog.statement(sql.rowsSql).all(sql.params) as Array<Omit<SearchRow, 'topTokens'> & { topTokens: string; total?: number }>;
    const total = raw.length > 0 && raw[0]!.total !== undefined ? raw[0]!.total : Number(catalog.statement(sql.countSql!).pluck().get(sql.params));
    const rows = raw.map(({ total: _total, topTokens, ...row }) => ({ ...row, topTokens: JSON.parse(topTokens) as string[] }));
    return { total, rows };
  })();
}

/**
 * A wide range on one column (say max_act ≥ 5, keeping 90% of features) is cheaper to count as
 * N minus the two tails outside it. Which side is smaller is estimated on the first 2000
 * features by idx (idx order is unrelated to the stats); either way the count is exact. Values
 * are never NULL or NaN (NOT NULL REAL columns), so the tails and the range partition the
 * analysis. Returns null when the range should be counted directly.
 */
function countByComplement(catalog: Catalog, q: z.output<typeof SearchQuery>, analysisId: number, featureCount: number): number | null {
  if ((q.tags ?? []).length > 0) return null;
  const onDensity = q.densityMin !== undefined || q.densityMax !== undefined;
  const onMaxAct = q.maxActMin !== undefined || q.maxActMax !== undefined;
  if (onDensity === onMaxAct) return null; // none, or both columns
  const column = onDensity ? 'density' : 'max_act';
  const [lo, hi] = onDensity ? [q.densityMin, q.densityMax] : [q.maxActMin, q.maxActMax];
  const sample = catalog
    .statement(
      `SELECT count(*) AS n, coalesce(sum(v >= @lo AND v <= @hi), 0) AS inside
       FROM (SELECT ${column} AS v FROM features INDEXED BY features_idx_stats WHERE analysis_id = @analysisId LIMIT 2000)`,
    )
    .get({ analysisId, lo: lo ?? -Infinity, hi: hi ?? Infinity }) as { n: number; inside: number };
  if (sample.n === 0 || sample.inside * 2 <= sample.n) return null;
  let outside = 0;
  for (const [op, bound] of [['<', lo], ['>', hi]] as const) {
    if (bound === undefined) continue;
    outside += Number(catalog.statement(`SELECT count(*) FROM features INDEXED BY features_${column} WHERE analysis_id = ? AND ${column} ${op} ?`).pluck().get(analysisId, bound));
  }
  return featureCount - outside;
}

function hasRange(q: z.output<typeof SearchQuery>): boolean {
  return q.densityMin !== undefined || q.densityMax !== undefined || q.maxActMin !== undefined || q.maxActMax !== undefined;
}

/**
 * Turn what a person typed into an FTS5 query: each word becomes a quoted phrase (so FTS5
 * syntax characters are plain text), words are ANDed, a trailing * keeps prefix matching.
 * Returns null when nothing searchable is left.
 */
export function toFtsQuery(text: string): string | null {
  const terms: string[] = [];
  for (const raw of text.split(/\s+/)) {
    const prefix = raw.endsWith('*');
    const word = raw.replace(/\*+$/, '');
    if (!/[\p{L}\p{N}_]/u.test(word)) continue;
    terms.push(`"${word.replace(/"/g, '""')}"${prefix ? '*' : ''}`);
    if (terms.length === 16) break;
  }
  return terms.length === 0 ? null : terms.join(' ');
}

export interface SaeSummary {
  id: number;
  name: string;
  hookName: string;
  architecture: string;
  dIn: number;
  dSae: number;
  metrics: Record<string, number>;
  provenance: Record<string, unknown>;
  analysis: AnalysisInfo | null;
}

export function listSaes(catalog: Catalog): SaeSummary[] {
  const rows = catalog
    .statement(
      `SELECT id, name, hook_name AS hookName, architecture, d_in AS dIn, d_sae AS dSae, metrics, provenance, active_analysis_id AS analysisId
       FROM saes ORDER BY id`,
    )
    .all() as Array<Omit<SaeSummary, 'metrics' | 'provenance' | 'analysis'> & { metrics: string; provenance: string; analysisId: number | null }>;
  return rows.map(({ metrics, provenance, analysisId, ...s }) => ({
    ...s,
    metrics: JSON.parse(metrics) as Record<string, number>,
    provenance: JSON.parse(provenance) as Record<string, unknown>,
    analysis: analysisId === null ? null : (catalog.statement(FEATURE_PAGE_SQL.analysis).get(analysisId) as AnalysisInfo),
  }));
}

/** Tag names with how many features of the SAE carry each. */
export function listTags(catalog: Catalog, saeId: number): Array<{ name: string; count: number }> {
  return catalog
    .statement(
      `SELECT t.name, count(*) AS count FROM feature_tags ft JOIN tags t ON t.id = ft.tag_id WHERE ft.sae_id = ? GROUP BY t.id ORDER BY t.name`,
    )
    .all(saeId) as Array<{ name: string; count: number }>;
}

export function getExperiment(catalog: Catalog, ref: ExperimentRef): Experiment {
  const id = experimentIdOf(ref);
  const row = catalog
    .statement(`SELECT id, kind, sae_id AS saeId, inputs, seed, outputs, created_at AS createdAt, app_version AS appVersion FROM experiments WHERE id = ?`)
    .get(id) as (Omit<Experiment, 'citeId' | 'inputs' | 'outputs'> & { inputs: string; outputs: string }) | undefined;
  if (row === undefined) throw new FeaturescopeError('not_found', `There is no experiment ${experimentCiteId(id)} in catalog ${catalog.path}.`, 'ref');
  return experimentOf(row);
}

export function listExperiments(catalog: Catalog, args: { saeId?: number; limit?: number; beforeId?: number } = {}): Experiment[] {
  const limit = Math.min(Math.max(args.limit ?? 50, 1), 500);
  const rows = catalog
    .statement(
      `SELECT id, kind, sae_id AS saeId, inputs, seed, outputs, created_at AS createdAt, app_version AS appVersion FROM experiments
       WHERE (@saeId IS NULL OR sae_id = @saeId) AND id < @beforeId ORDER BY id DESC LIMIT @limit`,
    )
    .all({ saeId: args.saeId ?? null, beforeId: args.beforeId ?? Number.MAX_SAFE_INTEGER, limit }) as Array<
    Omit<Experiment, 'citeId' | 'inputs' | 'outputs'> & { inputs: string; outputs: string }
  >;
  return rows.map(experimentOf);
}

function experimentOf(row: Omit<Experiment, 'citeId' | 'inputs' | 'outputs'> & { inputs: string; outputs: string }): Experiment {
  return {
    ...row,
    citeId: experimentCiteId(row.id),
    inputs: JSON.parse(row.inputs) as Record<string, unknown>,
    outputs: JSON.parse(row.outputs) as Record<string, unknown>,
  };
}

function parseStored<S extends z.ZodType>(schema: S, value: unknown, catalog: Catalog, what: string): z.output<S> {
  const r = schema.safeParse(typeof value === 'string' ? JSON.parse(value) : value);
  if (!r.success) throw new FeaturescopeError('bad_file', `Catalog ${catalog.path}: a stored ${what} value breaks its format (${r.error.issues[0]?.message}).`);
  return r.data;
}
