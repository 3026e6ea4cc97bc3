// Readers: search and the feature page. Safe on a read-only connection of the host.
// Every read sees only the SAE's active analysis (see migrations/0001_core.ts).
import type { z } from 'zod';
import { FeaturescopeError } from '../shared/errors';
import type { Catalog } from './open';
import { Histogram, LogitEffects, type AnalysisInfo, type Experiment, type ExplanationScore, type ExperimentRef, type FeaturePage, type StoredExample } from './types';
import { decodeActs, experimentCiteId, experimentIdOf } from './writes';

export {
  analysisIdRange,
  buildSearchSql,
  ensureSearchHitsTable,
  EXAMPLE_HIT_BUDGET,
  rankWindowOf,
  reachOf,
  searchFeatures,
  toFtsQuery,
  TOTAL_STEP,
  type IdRange,
  type RankWindow,
  type SearchLimits,
  type SearchPlan,
  type SearchSql,
} from './search';

/** The SQL of the feature page, exported so tests can check each statement's query plan. */
export const FEATURE_PAGE_SQL = {
  sae: `SELECT id, name, hook_name AS hookName, architecture, d_sae AS dSae, active_analysis_id AS analysisId FROM saes WHERE id = ?`,
  analysis: `SELECT id, sae_id AS saeId, corpus_id AS corpusId, state, started_at AS startedAt, ended_at AS endedAt, feature_count AS featureCount
             FROM analyses WHERE id = ?`,
  feature: `SELECT id, idx, density, max_act AS maxAct, mean_act AS meanAct, histogram, explanation, top_tokens AS topTokens,
              explanation_precision AS precision, explanation_recall AS recall, explanation_f1 AS f1,
              held_out_tokens AS heldOutTokens, held_out_firings AS heldOutFirings, explanation_separator AS separator
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
      | ({ id: number; idx: number; density: number; maxAct: number; meanAct: number; histogram: string | null; explanation: string; topTokens: string } & StoredScore)
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
      explanationScore: scoreOf(f),
      separator: f.separator,
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

/** The score columns of a feature row (migration 0010); all NULL in catalogs analysed before them. */
interface StoredScore {
  precision: number | null;
  recall: number | null;
  f1: number | null;
  heldOutTokens: number | null;
  heldOutFirings: number | null;
  separator: string | null;
}

/** null = not scored: the held-out token count is what says a score was computed at all. */
function scoreOf(f: StoredScore): ExplanationScore | null {
  if (f.heldOutTokens === null) return null;
  return { precision: f.precision, recall: f.recall, f1: f.f1, heldOutTokens: f.heldOutTokens, heldOutFirings: f.heldOutFirings ?? 0 };
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

/**
 * The experiment log, newest first, optionally of one SAE, of one kind, or with `q` in its logged
 * inputs or its SAE's name (case-insensitive; % and _ are literal). Inputs hold what a row is about
 * (prompt, hook and unit, contrast set, watchlist); outputs are not searched (they can be large).
 */
export function listExperiments(catalog: Catalog, args: { saeId?: number; kind?: string; q?: string; limit?: number; beforeId?: number } = {}): Experiment[] {
  const limit = Math.min(Math.max(args.limit ?? 50, 1), 500);
  const q = args.q?.trim() ? `%${args.q.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
  const rows = catalog
    .statement(
      `SELECT e.id, e.kind, e.sae_id AS saeId, e.inputs, e.seed, e.outputs, e.created_at AS createdAt, e.app_version AS appVersion FROM experiments e
       WHERE (@saeId IS NULL OR e.sae_id = @saeId) AND (@kind IS NULL OR e.kind = @kind) AND e.id < @beforeId
         AND (@q IS NULL OR e.inputs LIKE @q ESCAPE '\\' OR (SELECT s.name FROM saes s WHERE s.id = e.sae_id) LIKE @q ESCAPE '\\')
       ORDER BY e.id DESC LIMIT @limit`,
    )
    .all({ saeId: args.saeId ?? null, kind: args.kind ?? null, q, beforeId: args.beforeId ?? Number.MAX_SAFE_INTEGER, limit }) as Array<
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
