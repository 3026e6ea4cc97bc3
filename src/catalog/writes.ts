// Everything that writes to the catalog. Only the engine calls these (one writer per file).
// Each function is one transaction: a failure leaves the catalog as it was.
import type { z } from 'zod';
import { FeaturescopeError } from '../shared/errors';
import { explainFeature, explanationExamples } from './explain';
import type { Catalog } from './open';
import { purgeAnalysisRows } from './recovery';
import {
  CorpusInput,
  ExperimentInput,
  FeatureRecord,
  ModelInput,
  SaeInput,
  type ExampleRecord,
  type ExperimentRef,
} from './types';

export { recoverInterruptedAnalyses, purgeDeadAnalyses } from './recovery';

export function insertModel(catalog: Catalog, input: ModelInput): number {
  const m = parse(ModelInput, input, 'model');
  return Number(
    writer(catalog)
      .statement(`INSERT INTO models (name, path, architecture, config, added_at) VALUES (?, ?, ?, ?, ?)`)
      .run(m.name, m.path, m.architecture, JSON.stringify(m.config), Date.now()).lastInsertRowid,
  );
}

/** The id of the model row of `input.path`, adding the row the first time a folder is seen. */
export function rememberModel(catalog: Catalog, input: ModelInput): { id: number; added: boolean } {
  const cat = writer(catalog);
  return cat.db
    .transaction(() => {
      const known = cat.statement(`SELECT id FROM models WHERE path = ? ORDER BY id LIMIT 1`).pluck().get(input.path) as number | undefined;
      return known === undefined ? { id: insertModel(cat, input), added: true } : { id: known, added: false };
    })
    .immediate();
}

export function insertCorpus(catalog: Catalog, input: CorpusInput): number {
  const c = parse(CorpusInput, input, 'corpus');
  return Number(
    writer(catalog)
      .statement(`INSERT INTO corpora (name, source_path, tokenization, token_count, sha256, added_at) VALUES (?, ?, ?, ?, ?, ?)`)
      .run(c.name, c.sourcePath, JSON.stringify(c.tokenization), c.tokenCount, c.sha256, Date.now()).lastInsertRowid,
  );
}

export function insertSae(catalog: Catalog, input: SaeInput): number {
  const s = parse(SaeInput, input, 'sae');
  if (s.modelId !== null) requireRow(catalog, 'models', s.modelId, 'sae.modelId');
  return Number(
    writer(catalog)
      .statement(
        `INSERT INTO saes (name, model_id, hook_name, architecture, d_in, d_sae, cfg, metrics, provenance, weights_path, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        s.name,
        s.modelId,
        s.hookName,
        s.architecture,
        s.dIn,
        s.dSae,
        JSON.stringify(s.cfg),
        JSON.stringify(s.metrics),
        JSON.stringify(s.provenance),
        s.weightsPath,
        s.provenance.createdAt,
      ).lastInsertRowid,
  );
}

/** Start writing a new analysis of an SAE. Its rows stay invisible to readers until commitAnalysis. */
export function beginAnalysis(catalog: Catalog, args: { saeId: number; corpusId: number | null }): number {
  requireRow(catalog, 'saes', args.saeId, 'saeId');
  if (args.corpusId !== null) requireRow(catalog, 'corpora', args.corpusId, 'corpusId');
  return Number(
    writer(catalog)
      .statement(`INSERT INTO analyses (sae_id, corpus_id, state, started_at) VALUES (?, ?, 'running', ?)`)
      .run(args.saeId, args.corpusId, Date.now()).lastInsertRowid,
  );
}

/**
 * Write a batch of features (stats, examples, logit effects) of a running analysis in one
 * transaction. The automatic explanation and top tokens are derived here from the top examples.
 */
export function writeFeatures(catalog: Catalog, analysisId: number, features: readonly FeatureRecord[]): void {
  const cat = writer(catalog);
  const parsed = features.map((f, i) => parse(FeatureRecord, f, `features[${i}]`));
  const insertFeature = cat.statement(
    `INSERT INTO features (analysis_id, sae_id, idx, density, max_act, mean_act, histogram, explanation, top_tokens,
       explanation_precision, explanation_recall, explanation_f1, held_out_tokens, held_out_firings, explanation_separator)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertExample = cat.statement(
    `INSERT INTO examples (id, feature_id, kind, bucket, rank, max_act, tokens, acts, doc, start) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertLogits = cat.statement(`INSERT INTO logit_effects (feature_id, promoted, suppressed) VALUES (?, ?, ?)`);

  cat.db
    .transaction(() => {
      const analysis = runningAnalysis(cat, analysisId);
      parsed.forEach((f, i) => {
        if (f.idx >= analysis.dSae) {
          throw new FeaturescopeError('invalid_input', `features[${i}].idx ${f.idx} is outside the SAE (d_sae ${analysis.dSae}).`, `features.${i}.idx`);
        }
        const explanation = explainFeature(explanationExamples(f.examples));
        const score = f.explanationScore ?? null;
        const featureId = insertFeature.run(
          analysisId,
          analysis.saeId,
          f.idx,
          f.density,
          f.maxAct,
          f.meanAct,
          f.histogram === null ? null : JSON.stringify(f.histogram),
          explanation.text,
          JSON.stringify(explanation.topTokens),
          score?.precision ?? null,
          score?.recall ?? null,
          score?.f1 ?? null,
          score?.heldOutTokens ?? null,
          score?.heldOutFirings ?? null,
          f.separator ?? null,
        ).lastInsertRowid;
        f.examples.forEach((e, k) => {
          insertExample.run(exampleId(Number(featureId), k), featureId, e.kind, e.bucket, e.rank, maxOf(e.values), JSON.stringify(e.tokens), encodeActs(e), e.doc, e.start);
        });
        if (f.logitEffects !== null) {
          insertLogits.run(featureId, JSON.stringify(f.logitEffects.promoted), JSON.stringify(f.logitEffects.suppressed));
        }
      });
    })
    .immediate();
}

/**
 * Make a running analysis the one readers see, in one transaction: mark it complete and point
 * its SAE at it. The analysis it replaces is marked superseded and its rows purged afterwards.
 */
export function commitAnalysis(catalog: Catalog, analysisId: number): { featureCount: number } {
  const cat = writer(catalog);
  const cacheSize = cat.db.pragma('cache_size', { simple: true }) as number;
  cat.db.pragma(`cache_size = -${RANK_FILL_CACHE_KIB}`);
  let committed: { featureCount: number; previous: number | null };
  try {
    committed = cat.db
      .transaction(() => {
        const analysis = runningAnalysis(cat, analysisId);
        const count = Number(cat.statement(`SELECT count(*) FROM features WHERE analysis_id = ?`).pluck().get(analysisId));
        const prev = cat.statement(`SELECT active_analysis_id FROM saes WHERE id = ?`).pluck().get(analysis.saeId) as number | null;
        // Sort ranks (migration 0005) in the same transaction: a complete analysis always has them.
        cat.statement(FILL_SORT_RANKS_SQL).run(analysisId);
        cat.statement(`UPDATE analyses SET state = 'complete', ended_at = ?, feature_count = ? WHERE id = ?`).run(Date.now(), count, analysisId);
        cat.statement(`UPDATE saes SET active_analysis_id = ? WHERE id = ?`).run(analysisId, analysis.saeId);
        if (prev !== null) cat.statement(`UPDATE analyses SET state = 'superseded' WHERE id = ?`).run(prev);
        return { featureCount: count, previous: prev };
      })
      .immediate();
  } finally {
    cat.db.pragma(`cache_size = ${cacheSize}`);
  }
  const { featureCount, previous } = committed;
  if (previous !== null) purgeAnalysisRows(cat, previous);
  return { featureCount };
}

/**
 * Each feature's 0-based position in its analysis's ascending and descending lists by density
 * and by max_act, ties by idx (migration 0005). Rows are rewritten in id order (sequential
 * pages); the four rank indexes take random inserts, hence the bigger page cache while it runs.
 * 18 s for a million features on the 2-core bench machine (29 s without those two measures).
 */
const RANK_FILL_CACHE_KIB = 256 * 1024;
const FILL_SORT_RANKS_SQL = `UPDATE features SET density_rank = r.d, density_desc_rank = r.dd, max_act_rank = r.m, max_act_desc_rank = r.md
  FROM (SELECT id,
          row_number() OVER (ORDER BY density, idx) - 1 AS d,
          row_number() OVER (ORDER BY density DESC, idx) - 1 AS dd,
          row_number() OVER (ORDER BY max_act, idx) - 1 AS m,
          row_number() OVER (ORDER BY max_act DESC, idx) - 1 AS md
        FROM features WHERE analysis_id = ? ORDER BY id) r
  WHERE features.id = r.id`;

/** Give up on a running analysis (cancel or error): mark it failed and purge its rows. */
export function abortAnalysis(catalog: Catalog, analysisId: number, reason: string): void {
  const cat = writer(catalog);
  const changed = cat
    .statement(`UPDATE analyses SET state = 'failed', ended_at = ?, message = ? WHERE id = ? AND state = 'running'`)
    .run(Date.now(), reason, analysisId).changes;
  if (changed === 0) throw new FeaturescopeError('invalid_input', `Analysis ${analysisId} is not running.`, 'analysisId');
  purgeAnalysisRows(cat, analysisId);
}

/** Set (or with null, clear) the user's label of a feature. */
export function setUserLabel(catalog: Catalog, saeId: number, idx: number, label: string | null): void {
  const cat = writer(catalog);
  requireFeatureIndex(cat, saeId, idx);
  const text = label?.trim() ?? '';
  if (text === '') {
    cat.statement(`DELETE FROM labels WHERE sae_id = ? AND idx = ?`).run(saeId, idx);
    return;
  }
  if (text.length > 500) throw new FeaturescopeError('invalid_input', 'A label is at most 500 characters.', 'label');
  cat
    .statement(
      `INSERT INTO labels (sae_id, idx, user_label, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (sae_id, idx) DO UPDATE SET user_label = excluded.user_label, updated_at = excluded.updated_at`,
    )
    .run(saeId, idx, text, Date.now());
}

export function addTag(catalog: Catalog, saeId: number, idx: number, name: string): void {
  const cat = writer(catalog);
  requireFeatureIndex(cat, saeId, idx);
  const tag = tagName(name);
  cat.db
    .transaction(() => {
      cat.statement(`INSERT INTO tags (name) VALUES (?) ON CONFLICT (name) DO NOTHING`).run(tag);
      const tagId = cat.statement(`SELECT id FROM tags WHERE name = ?`).pluck().get(tag) as number;
      cat.statement(`INSERT OR IGNORE INTO feature_tags (sae_id, idx, tag_id) VALUES (?, ?, ?)`).run(saeId, idx, tagId);
    })
    .immediate();
}

/** Returns whether the feature had the tag. Tags nobody uses any more are dropped. */
export function removeTag(catalog: Catalog, saeId: number, idx: number, name: string): boolean {
  const cat = writer(catalog);
  const tag = tagName(name);
  return cat.db
    .transaction(() => {
      const removed = cat
        .statement(`DELETE FROM feature_tags WHERE sae_id = ? AND idx = ? AND tag_id = (SELECT id FROM tags WHERE name = ?)`)
        .run(saeId, idx, tag).changes;
      cat.statement(`DELETE FROM tags WHERE name = ? AND NOT EXISTS (SELECT 1 FROM feature_tags WHERE tag_id = tags.id)`).run(tag);
      return removed > 0;
    })
    .immediate();
}

export function addNote(catalog: Catalog, saeId: number, idx: number, text: string): number {
  const cat = writer(catalog);
  requireFeatureIndex(cat, saeId, idx);
  const body = text.trim();
  if (body === '') throw new FeaturescopeError('invalid_input', 'A note needs some text.', 'text');
  if (body.length > 20_000) throw new FeaturescopeError('invalid_input', 'A note is at most 20000 characters.', 'text');
  return Number(
    cat.statement(`INSERT INTO notes (sae_id, idx, text, created_at) VALUES (?, ?, ?, ?)`).run(saeId, idx, body, Date.now()).lastInsertRowid,
  );
}

/** Record an experiment run so it can be cited (`exp-000123`) and replayed from its inputs. */
export function logExperiment(catalog: Catalog, input: ExperimentInput): { id: number; citeId: string } {
  const cat = writer(catalog);
  const e = parse(ExperimentInput, input, 'experiment');
  if (e.saeId !== null) requireRow(cat, 'saes', e.saeId, 'experiment.saeId');
  const id = Number(
    cat
      .statement(`INSERT INTO experiments (kind, sae_id, inputs, seed, outputs, created_at, app_version) VALUES (?, ?, ?, ?, ?, ?, ?)`)
      .run(e.kind, e.saeId, JSON.stringify(e.inputs), e.seed, JSON.stringify(e.outputs), Date.now(), e.appVersion).lastInsertRowid,
  );
  return { id, citeId: experimentCiteId(id) };
}

export function experimentCiteId(id: number): string {
  return `exp-${String(id).padStart(6, '0')}`;
}

export function experimentIdOf(ref: ExperimentRef): number {
  return typeof ref === 'number' ? ref : Number(ref.slice('exp-'.length));
}

/**
 * Example ids are `featureId · 1024 + k`, so the search index (examples_fts, rowid = example id)
 * yields the feature id by a shift, without a lookup per hit into examples.
 */
export const EXAMPLES_PER_FEATURE_MAX = 1024;
export function exampleId(featureId: number, k: number): number {
  return featureId * EXAMPLES_PER_FEATURE_MAX + k;
}

/** Per-token activations as float32 little-endian: compact and exact enough for display. */
export function encodeActs(example: Pick<ExampleRecord, 'values'>): Buffer {
  const buf = Buffer.allocUnsafe(example.values.length * 4);
  example.values.forEach((v, i) => buf.writeFloatLE(v, i * 4));
  return buf;
}

export function decodeActs(blob: Buffer): number[] {
  const out = new Array<number>(blob.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = blob.readFloatLE(i * 4);
  return out;
}

function runningAnalysis(cat: Catalog, analysisId: number): { saeId: number; dSae: number } {
  const row = cat
    .statement(`SELECT a.state, a.sae_id AS saeId, s.d_sae AS dSae FROM analyses a JOIN saes s ON s.id = a.sae_id WHERE a.id = ?`)
    .get(analysisId) as { state: string; saeId: number; dSae: number } | undefined;
  if (row === undefined) throw new FeaturescopeError('not_found', `There is no analysis ${analysisId} in catalog ${cat.path}.`, 'analysisId');
  if (row.state !== 'running') throw new FeaturescopeError('invalid_input', `Analysis ${analysisId} is ${row.state}, not running.`, 'analysisId');
  return row;
}

function requireFeatureIndex(cat: Catalog, saeId: number, idx: number): void {
  const dSae = cat.statement(`SELECT d_sae FROM saes WHERE id = ?`).pluck().get(saeId) as number | undefined;
  if (dSae === undefined) throw new FeaturescopeError('not_found', `There is no SAE ${saeId} in catalog ${cat.path}.`, 'saeId');
  if (!Number.isInteger(idx) || idx < 0 || idx >= dSae) {
    throw new FeaturescopeError('invalid_input', `Feature index ${idx} is outside SAE ${saeId} (d_sae ${dSae}).`, 'idx');
  }
}

const TABLES_WITH_ID = new Set(['models', 'corpora', 'saes']);
function requireRow(cat: Catalog, table: string, id: number, field: string): void {
  if (!TABLES_WITH_ID.has(table)) throw new FeaturescopeError('internal', `requireRow: unexpected table ${table}.`);
  const found = cat.statement(`SELECT 1 FROM ${table} WHERE id = ?`).get(id);
  if (found === undefined) throw new FeaturescopeError('not_found', `There is no ${table} row ${id} in catalog ${cat.path}.`, field);
}

function tagName(name: string): string {
  const t = name.trim();
  if (t === '' || t.length > 64) throw new FeaturescopeError('invalid_input', 'A tag name is 1 to 64 characters.', 'tag');
  return t;
}

function writer(catalog: Catalog): Catalog {
  if (catalog.readonly) throw new FeaturescopeError('internal', `Catalog ${catalog.path} was opened read-only; only the engine writes.`);
  return catalog;
}

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = [what, ...issue.path.map(String)].join('.');
  throw new FeaturescopeError('invalid_input', `${field}: ${issue.message}`, field);
}

function maxOf(values: readonly number[]): number {
  let m = -Infinity;
  for (const v of values) if (v > m) m = v;
  return m;
}

/** Merge evaluation figures into an SAE's metrics (SAELens names); other metrics are kept. */
export function updateSaeMetrics(catalog: Catalog, saeId: number, metrics: Record<string, number>): void {
  const cat = writer(catalog);
  requireRow(cat, 'saes', saeId, 'saeId');
  for (const [k, v] of Object.entries(metrics)) {
    if (!Number.isFinite(v)) throw new FeaturescopeError('invalid_input', `metric ${k} is not a finite number`, k);
  }
  cat.statement(`UPDATE saes SET metrics = json_patch(metrics, ?) WHERE id = ?`).run(JSON.stringify(metrics), saeId);
}

/**
 * Writes that must land together with work outside the catalog (a job's log rows and its report
 * file): `work` runs in one immediate transaction, and anything it throws rolls the rows back.
 */
export function inWriteTransaction<T>(catalog: Catalog, work: () => T): T {
  return catalog.db.transaction(work).immediate();
}
