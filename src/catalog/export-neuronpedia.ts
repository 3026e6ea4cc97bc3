// The records of Neuronpedia's import layout for one analysed SAE: a source (Neuronpedia's
// "layer", e.g. `2-featurescope-mysae`) holding features, activations and explanations, each a
// list of plain objects with Neuronpedia's field names, read from the catalog a batch at a time.
// Writing them (gzip, folders, atomic rename) is the engine's job; this file only reads.
//
// Field names follow Neuronpedia's export dataclasses (Feature, Activation, Explanation); a field
// we cannot fill truthfully (cosine-similar features, DFA values, creator ids that only
// Neuronpedia's database assigns) is left out rather than filled with a made-up value.
import { FeaturescopeError } from '../shared/errors';
import type { Catalog } from './open';
import { getFeaturePage } from './queries';
import type { FeaturePage, Histogram } from './types';

export interface NeuronpediaSource {
  /** Neuronpedia's model id (e.g. "gpt2-small"): the model folder's name unless given. */
  modelId: string;
  /** Neuronpedia's source id, `<layer>-<source set>`; it is each record's `layer`. */
  sourceId: string;
  /** The source set: `featurescope-<sae name>`. */
  sourceSet: string;
  layerNum: number;
  hookName: string;
  saeName: string;
  dSae: number;
}

export interface NeuronpediaBatch {
  /** 0, 1, …: written as batch-<n>.jsonl.gz under each of features/, activations/, explanations/. */
  batch: number;
  features: object[];
  activations: object[];
  explanations: object[];
}

/** Lower-case letters, digits and dashes: the characters Neuronpedia allows in ids. */
function slug(s: string): string {
  const out = s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return out === '' ? 'sae' : out;
}

/** The layer a TransformerLens hook name reads (`blocks.2.hook_resid_post` → 2); 0 for hooks before the first block. */
function layerOf(hookName: string): number {
  const m = /^blocks\.(\d+)\./.exec(hookName);
  return m ? Number(m[1]) : 0;
}

export function neuronpediaSource(catalog: Catalog, saeId: number, modelId: string): NeuronpediaSource {
  const sae = catalog.statement('SELECT name, hook_name AS hookName, d_sae AS dSae, active_analysis_id AS analysisId FROM saes WHERE id = ?').get(saeId) as
    | { name: string; hookName: string; dSae: number; analysisId: number | null }
    | undefined;
  if (!sae) throw new FeaturescopeError('not_found', `There is no SAE ${saeId} in the catalog.`, 'saeId');
  if (sae.analysisId === null) throw new FeaturescopeError('not_found', `SAE "${sae.name}" has no complete analysis to export; analyse it first.`, 'saeId');
  const layerNum = layerOf(sae.hookName);
  const sourceSet = `featurescope-${slug(sae.name)}`;
  return { modelId: slug(modelId), sourceId: `${layerNum}-${sourceSet}`, sourceSet, layerNum, hookName: sae.hookName, saeName: sae.name, dSae: sae.dSae };
}

/** Bin centres of a stored histogram, in activation units (a log10 histogram's bins are in log10 of the activation). */
function binCentres(h: Histogram): number[] {
  const width = (h.hi - h.lo) / h.counts.length;
  return h.counts.map((_, i) => {
    const centre = h.lo + (i + 0.5) * width;
    return h.scale === 'log10' ? 10 ** centre : centre;
  });
}

function featureRecord(src: NeuronpediaSource, page: FeaturePage): object {
  const h = page.feature.histogram;
  return {
    modelId: src.modelId,
    layer: src.sourceId,
    index: String(page.feature.idx),
    maxActApprox: page.feature.maxAct,
    hasVector: false,
    hookName: src.hookName,
    frac_nonzero: page.feature.density,
    pos_str: page.logitEffects?.promoted.map(([t]) => t) ?? [],
    pos_values: page.logitEffects?.promoted.map(([, v]) => v) ?? [],
    neg_str: page.logitEffects?.suppressed.map(([t]) => t) ?? [],
    neg_values: page.logitEffects?.suppressed.map(([, v]) => v) ?? [],
    freq_hist_data_bar_heights: h?.counts ?? [],
    freq_hist_data_bar_values: h ? binCentres(h) : [],
  };
}

function activationRecords(src: NeuronpediaSource, page: FeaturePage): object[] {
  return page.examples.map((e) => {
    let at = 0;
    for (let i = 1; i < e.values.length; i++) if (e.values[i]! > e.values[at]!) at = i;
    return {
      // Stable, so a re-export of the same analysis names the same rows.
      id: `${src.sourceId}-${page.feature.idx}-${e.kind}${e.bucket}-${e.rank}`,
      modelId: src.modelId,
      layer: src.sourceId,
      index: String(page.feature.idx),
      tokens: e.tokens,
      values: e.values,
      maxValue: e.values[at] ?? 0,
      maxValueTokenIndex: at,
      minValue: e.values.length > 0 ? Math.min(...e.values) : 0,
      qualifyingTokenIndex: at,
      dataSource: `featurescope:${e.kind}${e.kind === 'quantile' ? `:bucket-${e.bucket}` : ''}:doc-${e.doc}:token-${e.start}`,
    };
  });
}

function explanationRecords(src: NeuronpediaSource, page: FeaturePage): object[] {
  const base = { modelId: src.modelId, layer: src.sourceId, index: String(page.feature.idx) };
  const out: object[] = [];
  if (page.label.user) out.push({ ...base, id: `${src.sourceId}-${page.feature.idx}-user`, description: page.label.user, typeName: 'user-label', explanationModelName: null });
  if (page.label.auto) out.push({ ...base, id: `${src.sourceId}-${page.feature.idx}-auto`, description: page.label.auto, typeName: 'featurescope-token-statistics', explanationModelName: 'featurescope' });
  return out;
}

/** The analysed features in idx order, `batchSize` to a batch. */
export function* neuronpediaBatches(catalog: Catalog, saeId: number, src: NeuronpediaSource, batchSize: number): Generator<NeuronpediaBatch> {
  const analysisId = (catalog.statement('SELECT active_analysis_id FROM saes WHERE id = ?').pluck().get(saeId) as number | null) ?? -1;
  // A page of idx values at a time: an open iterator would hold the connection while each feature page is read.
  const nextIdx = catalog.statement('SELECT idx FROM features WHERE analysis_id = ? AND idx > ? ORDER BY idx LIMIT ?').pluck();
  let after = -1;
  for (let batch = 0; ; batch++) {
    const idxs = nextIdx.all(analysisId, after, batchSize) as number[];
    if (idxs.length === 0) return;
    const out: NeuronpediaBatch = { batch, features: [], activations: [], explanations: [] };
    for (const idx of idxs) {
      const page = getFeaturePage(catalog, saeId, idx);
      out.features.push(featureRecord(src, page));
      out.activations.push(...activationRecords(src, page));
      out.explanations.push(...explanationRecords(src, page));
    }
    yield out;
    after = idxs[idxs.length - 1]!;
    if (idxs.length < batchSize) return;
  }
}
