// "Drives a biased prediction": does a unit that encodes the attribute move a downstream
// contrast (e.g. logit(" nurse") − logit(" engineer"), the log of p(nurse)/p(engineer))? Over the
// pairs whose sides line up token by token, side b's activations are patched into side a at the
// compared positions only (not at the swapped words, whose own effect is token identity):
//   predicted: attribution patching (delta × gradient) summed over those positions, every unit;
//   measured:  a real forward with one unit patched there, for the candidates only (ablation).
// The model's own gap is the metric on side b minus side a.

import * as tf from '@tensorflow/tfjs';
import { attribute, type AttributionMetric } from '../attribution';
import { runWithUnitMasks, siteUnits } from '../attribution/runs';
import type { AttributionSite, SiteHook } from '../attribution/sites';
import type { LoadedModel } from '../model/load';
import type { TokenPair } from './audit';

/** Candidates patched per batched forward (bounds the masks' memory on wide layers). */
const ROWS_PER_FORWARD = 8;

export interface OutcomePair {
  pair: number;
  tokens: TokenPair;
  /** Positions patched (the compared ones). */
  at: number[];
}

export interface OutcomeAttribution {
  /** metric(side b) − metric(side a) per pair. */
  gaps: number[];
  /** Predicted effect of patching each unit (b into a, at `at`), mean over pairs, per hook. */
  predicted: Map<string, Float64Array>;
}

export function outcomeAttribution(model: LoadedModel, pairs: OutcomePair[], site: AttributionSite, metric: AttributionMetric, step: () => Promise<void>): Promise<OutcomeAttribution> {
  return (async () => {
    const gaps: number[] = [];
    const predicted = new Map<string, Float64Array>();
    for (const p of pairs) {
      const r = attribute(model, { tokens: p.tokens.a, patchTokens: p.tokens.b, metric, site, method: 'gradient' });
      gaps.push((r.metricPatchPrompt ?? NaN) - r.metricClean);
      for (const h of r.hooks) {
        const acc = predicted.get(h.hook) ?? new Float64Array(h.width);
        for (const pos of p.at) for (let j = 0; j < h.width; j++) acc[j] = (acc[j] as number) + (h.perPosition[pos * h.width + j] as number) / pairs.length;
        predicted.set(h.hook, acc);
      }
      await step();
    }
    return { gaps, predicted };
  })();
}

/** Measured effect of patching each candidate alone (b into a at `at`): [candidate][pair]. */
export async function measuredOutcomeEffects(model: LoadedModel, pairs: OutcomePair[], sites: SiteHook[], candidates: Array<{ hook: string; index: number }>, metric: AttributionMetric, step: () => Promise<void>): Promise<number[][]> {
  const effects = candidates.map(() => new Array<number>(pairs.length).fill(0));
  if (candidates.length === 0) return effects;
  for (const [k, p] of pairs.entries()) {
    tf.tidy(() => {
      const base = siteUnits(model, p.tokens.a, p.tokens.b, sites, metric);
      const pos = p.tokens.a.length;
      for (let start = 0; start < candidates.length; start += ROWS_PER_FORWARD) {
        const chunk = candidates.slice(start, start + ROWS_PER_FORWARD);
        const metrics = tf.tidy(() => {
          // One mask per site, [rows, pos, width]: row r patches its candidate at the compared positions.
          const masks = sites.map((s) => {
            if (!chunk.some((c) => c.hook === s.hook)) return null;
            const data = new Float32Array(chunk.length * pos * s.width);
            chunk.forEach((c, r) => {
              if (c.hook !== s.hook) return;
              for (const at of p.at) data[(r * pos + at) * s.width + c.index] = 1;
            });
            return tf.tensor3d(data, [chunk.length, pos, s.width]);
          });
          return runWithUnitMasks(model, p.tokens.a, chunk.length, sites, base.patch, masks, metric);
        });
        chunk.forEach((_, r) => ((effects[start + r] as number[])[k] = (metrics[r] as number) - base.metricClean));
      }
    });
    await step();
  }
  return effects;
}
