// The forward passes attribution, verification and patching share: the site units of a clean
// and a patch prompt, and batched runs where each row edits its own units.

import * as tf from '@tensorflow/tfjs';
import { FeaturescopeError } from '../../shared/errors';
import type { LoadedModel } from '../model/load';
import type { HookBinding } from '../model/interventions';
import { type AttributionMetric, checkMetric, metricPerRow, metricPositions, runMetric } from './metric';
import { type SiteHook, editUnits, unitsOf } from './sites';

export interface SiteUnits {
  /** Units of the clean prompt per site hook, [1, pos, width], in site order. */
  clean: tf.Tensor[];
  /** Units of the patch prompt (zeros for zero-ablation), [1, pos, width]. */
  patch: tf.Tensor[];
  metricClean: number;
  /** The metric of the patch prompt itself, when there is one. */
  metricPatchPrompt: number | null;
}

export function checkPrompts(model: LoadedModel, tokens: number[], patchTokens: number[] | undefined, metric: AttributionMetric | undefined): void {
  if (!Array.isArray(tokens) || tokens.length === 0) throw new FeaturescopeError('invalid_input', 'tokens: the prompt needs at least one token', 'tokens');
  if (patchTokens !== undefined && patchTokens.length !== tokens.length) {
    throw new FeaturescopeError(
      'invalid_input',
      `patchTokens: the patch prompt has ${patchTokens.length} tokens and the clean prompt ${tokens.length}; they must line up position by position`,
      'patchTokens',
    );
  }
  if (metric === undefined) return;
  checkMetric(metric, model.config.vocabSize);
  const needed = metricPositions(metric, tokens.length);
  const max = model.config.maxPositions;
  if (max !== null && needed > max) {
    throw new FeaturescopeError('invalid_input', `metric: the prompt's ${tokens.length} tokens and the target's continuation need ${needed} positions; the model has ${max}`, 'metric');
  }
}

/** Runs `tokens` capturing the site hooks; returns the units [1, pos, width] and the logits. */
export function captureUnits(model: LoadedModel, tokens: number[], sites: SiteHook[]): { units: tf.Tensor[]; logits: tf.Tensor3D } {
  const hooks = [...new Set(sites.map((s) => s.hook))];
  const { logits, captured } = model.run([tokens], { capture: hooks, lastPositionOnly: true });
  try {
    const units = sites.map((s) => {
      const act = captured.get(s.hook);
      if (act === undefined) throw new FeaturescopeError('internal', `capture of ${s.hook} returned nothing`);
      // A clone for neurons: the captured tensor itself is freed below.
      return s.sae === null ? act.clone() : unitsOf(s, act);
    });
    return { units, logits };
  } finally {
    // Captured tensors are kept by the model (outside any tidy): free them here.
    for (const t of captured.values()) t.dispose();
  }
}

/** Clean and patch units for the sites; call inside tf.tidy (the tensors belong to the caller's scope). */
export function siteUnits(model: LoadedModel, tokens: number[], patchTokens: number[] | undefined, sites: SiteHook[], metric: AttributionMetric): SiteUnits {
  // A one-token metric reads the capture's own last-position logits; a continuation runs its own forward.
  const metricOf = (run: { logits: tf.Tensor3D }, promptTokens: number[]): number =>
    (metric.kind === 'logprob' || metric.kind === 'logit-diff' ? metricPerRow(run.logits, metric) : runMetric(model, [promptTokens], [], metric)).dataSync()[0] ?? NaN;
  const clean = captureUnits(model, tokens, sites);
  const metricClean = metricOf(clean, tokens);
  if (patchTokens === undefined) {
    return { clean: clean.units, patch: clean.units.map((u) => tf.zerosLike(u)), metricClean, metricPatchPrompt: null };
  }
  const patch = captureUnits(model, patchTokens, sites);
  const metricPatchPrompt = metricOf(patch, patchTokens);
  return { clean: clean.units, patch: patch.units, metricClean, metricPatchPrompt };
}

/**
 * Runs `rows` copies of the prompt; at each site hook, row b's units move toward the patch units
 * by mask[b] (1 = fully patched): u' = u + mask·(u_patch − u). Returns the metric of every row.
 * masks: per site, [rows, pos, width] (or broadcastable), null for a site this batch leaves alone.
 */
export function runWithUnitMasks(
  model: LoadedModel,
  tokens: number[],
  rows: number,
  sites: SiteHook[],
  patch: tf.Tensor[],
  masks: (tf.Tensor | null)[],
  metric: AttributionMetric,
): Float32Array {
  return tf.tidy(() => {
    const hooks: HookBinding[] = [];
    sites.forEach((site, i) => {
      const mask = masks[i];
      const target = patch[i];
      if (mask === null || mask === undefined || target === undefined) return;
      hooks.push({ hook: site.hook, fn: (act) => editUnits(site, act, (u) => u.add(mask.mul(target.sub(u)))) });
    });
    return runMetric(
      model,
      Array.from({ length: rows }, () => tokens),
      hooks,
      metric,
    ).dataSync() as Float32Array;
  });
}
