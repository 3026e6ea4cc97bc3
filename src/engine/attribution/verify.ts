// Checking attribution against reality: patch the top units one at a time with real forwards and
// compare the measured metric changes with the predicted ones (Spearman and Pearson).

import * as tf from '@tensorflow/tfjs';
import { FeaturescopeError } from '../../shared/errors';
import type { LoadedModel } from '../model/load';
import type { AttributionMetric } from './metric';
import { checkPrompts, runWithUnitMasks, siteUnits } from './runs';
import { type AttributeOptions, type AttributionResult, rankUnits, type ScoredUnit } from './attribute';
import { type AttributionSite, type UnitRef, checkUnits, resolveSite } from './sites';
import { pearson, spearman } from './stats';

export interface UnitEffectOptions {
  tokens: number[];
  /** Same length as tokens; absent = zero-ablation. */
  patchTokens?: number[];
  metric: AttributionMetric;
  site: AttributionSite;
  /** Rows per forward: each row patches one unit. Default 32. */
  batchSize?: number;
}

export interface MeasuredEffects {
  metricClean: number;
  /** metric(unit patched) − metric(clean), one per unit, in the order given. */
  effects: Float32Array;
  forwards: number;
}

export interface VerifyOptions {
  /** Units to check, by |score|. Default 50. */
  topN?: number;
  /** Rank and patch (unit, position) pairs instead of units at every position. */
  perPosition?: boolean;
  batchSize?: number;
}

export interface VerifiedUnit extends ScoredUnit {
  /** Measured metric(patched) − metric(clean); `score` is the prediction of the same quantity. */
  measured: number;
}

export interface VerificationResult {
  units: VerifiedUnit[];
  spearman: number;
  pearson: number;
  /** Fraction of units whose predicted and measured effects have the same sign. */
  signAgreement: number;
  metricClean: number;
  forwards: number;
}

const DEFAULT_BATCH = 32;
const MAX_BATCH = 1024;

/** The real effect of patching each unit alone (at its position, or every position). */
export function measureUnitEffects(model: LoadedModel, opts: UnitEffectOptions, units: UnitRef[]): MeasuredEffects {
  checkPrompts(model, opts.tokens, opts.patchTokens, opts.metric);
  const batch = opts.batchSize ?? DEFAULT_BATCH;
  if (!Number.isInteger(batch) || batch < 1 || batch > MAX_BATCH) {
    throw new FeaturescopeError('invalid_input', `batchSize: must be an integer in [1, ${MAX_BATCH}], got ${batch}`, 'batchSize');
  }
  const sites = resolveSite(opts.site, model.config, model.hookNames());
  const pos = opts.tokens.length;
  const unitSites = checkUnits(units, sites, pos);
  const effects = new Float32Array(units.length);
  let metricClean = NaN;
  let forwards = 0;
  tf.tidy(() => {
    const base = siteUnits(model, opts.tokens, opts.patchTokens, sites, opts.metric);
    metricClean = base.metricClean;
    for (let start = 0; start < units.length; start += batch) {
      const chunk = units.slice(start, start + batch);
      const rows = chunk.length;
      // One mask per site, [rows, pos, width], with each row's single unit set.
      const maskData = sites.map((s) => (chunk.some((_, r) => unitSites[start + r] === s) ? new Float32Array(rows * pos * s.width) : null));
      chunk.forEach((u, r) => {
        const s = unitSites[start + r];
        if (s === undefined) return;
        const data = maskData[sites.indexOf(s)];
        if (data === null || data === undefined) return;
        for (let p = 0; p < pos; p++) {
          if (u.position === undefined || u.position === p) data[(r * pos + p) * s.width + u.index] = 1;
        }
      });
      const metrics = tf.tidy(() => {
        const masks = maskData.map((d, i) => (d === null ? null : tf.tensor3d(d, [rows, pos, sites[i]?.width ?? 0]))); // [rows, pos, width]
        return runWithUnitMasks(model, opts.tokens, rows, sites, base.patch, masks, opts.metric);
      });
      forwards++;
      metrics.forEach((m, r) => {
        effects[start + r] = m - base.metricClean;
      });
    }
  });
  return { metricClean, effects, forwards };
}

/** Patches the top-N units of `result` one at a time and correlates prediction with measurement. */
export function verifyAttribution(model: LoadedModel, opts: AttributeOptions, result: AttributionResult, verify: VerifyOptions = {}): VerificationResult {
  const top = rankUnits(result, { topN: verify.topN ?? 50, perPosition: verify.perPosition ?? false });
  const measured = measureUnitEffects(model, { ...opts, batchSize: verify.batchSize }, top);
  const predicted = top.map((u) => u.score);
  const actual = Array.from(measured.effects);
  let agree = 0;
  top.forEach((u, i) => {
    if (Math.sign(u.score) === Math.sign(actual[i] ?? 0)) agree++;
  });
  return {
    units: top.map((u, i) => ({ ...u, measured: actual[i] ?? NaN })),
    spearman: spearman(predicted, actual),
    pearson: pearson(predicted, actual),
    signAgreement: top.length === 0 ? NaN : agree / top.length,
    metricClean: measured.metricClean,
    forwards: measured.forwards,
  };
}
