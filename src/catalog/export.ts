// Exports of an analysed SAE's features: a CSV of the feature table, and one JSON object per
// feature in a Neuronpedia-like shape (JSON Lines), streamed so a million features fit.
import { FeaturescopeError } from '../shared/errors';
import type { Catalog } from './open';
import { getFeaturePage } from './queries';

interface FeatureRow {
  idx: number;
  density: number;
  maxAct: number;
  meanAct: number;
  explanation: string;
  topTokens: string;
  userLabel: string | null;
}

function activeAnalysis(catalog: Catalog, saeId: number): { analysisId: number; name: string; hookName: string } {
  const sae = catalog.statement('SELECT name, hook_name AS hookName, active_analysis_id AS analysisId FROM saes WHERE id = ?').get(saeId) as
    | { name: string; hookName: string; analysisId: number | null }
    | undefined;
  if (!sae) throw new FeaturescopeError('not_found', `There is no SAE ${saeId} in the catalog.`, 'saeId');
  if (sae.analysisId === null) throw new FeaturescopeError('not_found', `SAE "${sae.name}" has no complete analysis to export; analyse it first.`, 'saeId');
  return { analysisId: sae.analysisId, name: sae.name, hookName: sae.hookName };
}

const PAGE = 1000;

/**
 * The features of the analysis in idx order, read a page at a time: an open iterator would hold
 * the connection, and the JSON export reads each feature's page on the same connection meanwhile.
 */
function* featureRows(catalog: Catalog, saeId: number, analysisId: number): Generator<FeatureRow> {
  const page = catalog.statement(
    `SELECT f.idx, f.density, f.max_act AS maxAct, f.mean_act AS meanAct, f.explanation, f.top_tokens AS topTokens, l.user_label AS userLabel
     FROM features f LEFT JOIN labels l ON l.sae_id = f.sae_id AND l.idx = f.idx
     WHERE f.analysis_id = ? AND f.sae_id = ? AND f.idx > ? ORDER BY f.idx LIMIT ${PAGE}`,
  );
  let after = -1;
  for (;;) {
    const rows = page.all(analysisId, saeId, after) as FeatureRow[];
    yield* rows;
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1]!.idx;
  }
}

/** RFC 4180: quote every text field, double the quotes inside. */
function csvText(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

export function exportFeatureCsv(catalog: Catalog, saeId: number, write: (chunk: string) => void): number {
  const { analysisId } = activeAnalysis(catalog, saeId);
  write('index,density,max_act,mean_act,user_label,explanation,top_tokens\r\n');
  let n = 0;
  for (const f of featureRows(catalog, saeId, analysisId)) {
    const tokens = (JSON.parse(f.topTokens) as string[]).join(' | ');
    write(`${f.idx},${f.density},${f.maxAct},${f.meanAct},${csvText(f.userLabel ?? '')},${csvText(f.explanation)},${csvText(tokens)}\r\n`);
    n++;
  }
  return n;
}

/**
 * One line per feature, with Neuronpedia's field names where a field means the same thing
 * (index, layer, density as frac_nonzero, maxActApprox, explanations, activations with tokens
 * and values, pos_str/pos_values and neg_str/neg_values for logit effects).
 */
export function exportNeuronpediaJsonl(catalog: Catalog, saeId: number, modelId: string, write: (chunk: string) => void): number {
  const { analysisId, name, hookName } = activeAnalysis(catalog, saeId);
  let n = 0;
  for (const f of featureRows(catalog, saeId, analysisId)) {
    const page = getFeaturePage(catalog, saeId, f.idx);
    const explanations = [
      ...(f.userLabel ? [{ description: f.userLabel, typeName: 'user' }] : []),
      ...(f.explanation ? [{ description: f.explanation, typeName: 'featurescope-auto' }] : []),
    ];
    const record = {
      modelId,
      layer: hookName,
      saeName: name,
      index: String(f.idx),
      frac_nonzero: f.density,
      maxActApprox: f.maxAct,
      meanAct: f.meanAct,
      explanations,
      tags: page.tags,
      activations: page.examples.map((e) => ({ kind: e.kind, bucket: e.bucket, tokens: e.tokens, values: e.values, maxValue: e.maxAct })),
      pos_str: page.logitEffects?.promoted.map(([t]) => t) ?? [],
      pos_values: page.logitEffects?.promoted.map(([, v]) => v) ?? [],
      neg_str: page.logitEffects?.suppressed.map(([t]) => t) ?? [],
      neg_values: page.logitEffects?.suppressed.map(([, v]) => v) ?? [],
      freq_hist: page.feature.histogram,
    };
    write(`${JSON.stringify(record)}\n`);
    n++;
  }
  return n;
}
