// Attribution patching (Nanda 2023; Syed et al. 2023): a first-order estimate of what patching
// each MLP neuron or SAE feature would do to a scalar metric, from one backward pass.
//
// Sign convention, used everywhere in this module: a score is the PREDICTED EFFECT OF THE PATCH,
//   score ≈ metric(run with the unit patched) − metric(clean run)
// with the unit's clean activation a_clean replaced by a_patch (0 for zero-ablation, else the
// activation of a patch prompt of the same length at the same position).
//   gradient:             score = (a_patch − a_clean) · ∂metric/∂a |a_clean
//   integrated gradients: score = (a_patch − a_clean) · mean over α of ∂metric/∂a |a_patch + α(a_clean − a_patch)
// (the usual IG attribution (a_clean − a_patch)·avg grad is −score; completeness makes the sum of
// a hook's IG scores ≈ the measured effect of patching the whole hook at once).
//
// Limits of the linear estimate: it is exact for small patches and ranks single units well, but
// zeroing a whole layer is far from linear (see HookAttribution.measuredTotal beside
// predictedTotal). Gemma-2 normalises the MLP output (post_feedforward_layernorm), so scaling all
// of a layer's neurons together changes nothing and Σ a·∂m/∂a = 0: its whole-layer prediction is
// 0 by construction, and IG cannot recover it either (the metric jumps at a = 0).
//
// Gradients: each site hook gets a HookFn that adds a zero tensor δ to its units (for an SAE,
// x' = decode(f + δ) + error); ∂metric/∂δ is ∂metric/∂a with every later layer recomputed, so one
// backward pass scores every neuron of every chosen layer. IG moves one hook at a time along
// its path, with the N steps as N batch rows: one forward + backward per hook.

import * as tf from '@tensorflow/tfjs';
import type { LoadedModel } from '../model/load';
import type { HookBinding } from '../model/interventions';
import { FeaturescopeError } from '../../shared/errors';
import { type AttributionMetric, runMetric } from './metric';
import { checkPrompts, runWithUnitMasks, siteUnits } from './runs';
import { type AttributionSite, type SiteHook, type UnitKind, type UnitRef, editUnits, resolveSite } from './sites';

export type AttributionMethod = 'gradient' | 'integrated-gradients';

export interface AttributeOptions {
  /** The clean prompt's token ids. */
  tokens: number[];
  /** A prompt of the same length whose activations are patched in; absent = zero-ablation. */
  patchTokens?: number[];
  metric: AttributionMetric;
  site: AttributionSite;
  /** Default 'gradient'. */
  method?: AttributionMethod;
  /** Integrated gradients: points on the path (midpoint rule), default 16. */
  steps?: number;
}

export interface HookAttribution {
  hook: string;
  unitKind: UnitKind;
  width: number;
  positions: number;
  /** Predicted effect of patching each unit at every position, [width]. */
  scores: Float32Array;
  /** Predicted effect of patching each unit at one position, [pos, width] row-major. */
  perPosition: Float32Array;
  /** Sum of `scores`: the linear prediction for patching the whole hook. */
  predictedTotal: number;
  /** Measured metric change when every unit of this hook is patched at once (one forward). */
  measuredTotal: number;
}

export interface AttributionResult {
  method: AttributionMethod;
  /** IG steps; 1 for the gradient method. */
  steps: number;
  metricClean: number;
  /** The metric on the patch prompt itself; null for zero-ablation. */
  metricPatchPrompt: number | null;
  hooks: HookAttribution[];
}

export interface ScoredUnit extends UnitRef {
  score: number;
}

export const DEFAULT_IG_STEPS = 16;
const MAX_IG_STEPS = 512;

export function attribute(model: LoadedModel, opts: AttributeOptions): AttributionResult {
  checkPrompts(model, opts.tokens, opts.patchTokens, opts.metric);
  const method = opts.method ?? 'gradient';
  const steps = method === 'gradient' ? 1 : (opts.steps ?? DEFAULT_IG_STEPS);
  if (!Number.isInteger(steps) || steps < 1 || steps > MAX_IG_STEPS) {
    throw new FeaturescopeError('invalid_input', `steps: must be an integer in [1, ${MAX_IG_STEPS}], got ${steps}`, 'steps');
  }
  const sites = resolveSite(opts.site, model.config, model.hookNames());
  const pos = opts.tokens.length;

  // Results leave the tidy scope through this variable: tidy would walk every element of the
  // returned typed arrays looking for tensors.
  let result: AttributionResult | null = null;
  tf.tidy(() => {
    const units = siteUnits(model, opts.tokens, opts.patchTokens, sites, opts.metric);
    const grads = method === 'gradient' ? gradientsAtClean(model, opts, sites) : integratedGradients(model, opts, sites, units.patch, steps);
    const hooks = sites.map((site, i): HookAttribution => {
      const clean = units.clean[i] as tf.Tensor;
      const patch = units.patch[i] as tf.Tensor;
      const grad = grads[i] as tf.Tensor;
      const perPos = patch.sub(clean).mul(grad).reshape([pos, site.width]); // [pos, width]
      const scores = perPos.sum(0).dataSync() as Float32Array; // [width]
      let predictedTotal = 0;
      for (const s of scores) predictedTotal += s;
      return {
        hook: site.hook,
        unitKind: site.unitKind,
        width: site.width,
        positions: pos,
        scores,
        perPosition: perPos.dataSync() as Float32Array,
        predictedTotal,
        measuredTotal: NaN,
      };
    });
    // Row i patches every unit of hook i: the measured counterpart of predictedTotal.
    const masks = sites.map((_, i) => tf.tensor3d(sites.map((__, r) => (r === i ? 1 : 0)), [sites.length, 1, 1])); // [hooks, 1, 1]
    const whole = runWithUnitMasks(model, opts.tokens, sites.length, sites, units.patch, masks, opts.metric);
    hooks.forEach((h, i) => {
      h.measuredTotal = (whole[i] ?? NaN) - units.metricClean;
    });
    result = { method, steps, metricClean: units.metricClean, metricPatchPrompt: units.metricPatchPrompt, hooks };
  });
  if (result === null) throw new FeaturescopeError('internal', 'attribution produced no result');
  return result;
}

/** ∂metric/∂units at the clean run for every site at once: [1, pos, width] per site. */
function gradientsAtClean(model: LoadedModel, opts: AttributeOptions, sites: SiteHook[]): tf.Tensor[] {
  const pos = opts.tokens.length;
  const deltas = sites.map((s) => tf.zeros([1, pos, s.width])); // [1, pos, width]
  const metricOf = (...ds: tf.Tensor[]): tf.Scalar => {
    const hooks: HookBinding[] = sites.map((site, i) => ({ hook: site.hook, fn: (act) => editUnits(site, act, (u) => u.add(ds[i] as tf.Tensor)) }));
    return runMetric(model, [opts.tokens], hooks, opts.metric).sum();
  };
  return tf.grads(metricOf)(deltas);
}

/**
 * Mean gradient along the straight path from the patch units to the clean units, one hook at a
 * time (the other hooks run clean), midpoints α = (k + ½)/N as N batch rows.
 */
function integratedGradients(model: LoadedModel, opts: AttributeOptions, sites: SiteHook[], patch: tf.Tensor[], steps: number): tf.Tensor[] {
  const pos = opts.tokens.length;
  const rows = Array.from({ length: steps }, () => opts.tokens);
  const alphas = tf.tensor1d(Array.from({ length: steps }, (_, k) => (k + 0.5) / steps)).reshape([steps, 1, 1]); // [steps, 1, 1]
  return sites.map((site, i) => {
    const target = patch[i] as tf.Tensor; // [1, pos, width]
    const metricOf = (delta: tf.Tensor): tf.Scalar => {
      const fn = (act: tf.Tensor): tf.Tensor => editUnits(site, act, (u) => target.add(alphas.mul(u.sub(target))).add(delta));
      return runMetric(model, rows, [{ hook: site.hook, fn }], opts.metric).sum();
    };
    const grad = tf.grad(metricOf)(tf.zeros([steps, pos, site.width])); // [steps, pos, width]
    return grad.mean(0, true); // [1, pos, width]
  });
}

/**
 * Units ordered by |score|, largest first: per unit summed over positions, or (perPosition) per
 * unit and position. topN defaults to every unit.
 */
export function rankUnits(result: AttributionResult, opts: { topN?: number; perPosition?: boolean } = {}): ScoredUnit[] {
  const all: ScoredUnit[] = [];
  for (const h of result.hooks) {
    if (opts.perPosition === true) {
      for (let p = 0; p < h.positions; p++) {
        for (let j = 0; j < h.width; j++) all.push({ hook: h.hook, index: j, position: p, score: h.perPosition[p * h.width + j] ?? 0 });
      }
    } else {
      h.scores.forEach((score, j) => all.push({ hook: h.hook, index: j, score }));
    }
  }
  all.sort((a, b) => Math.abs(b.score) - Math.abs(a.score));
  return opts.topN === undefined ? all : all.slice(0, opts.topN);
}
