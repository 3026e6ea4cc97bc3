// Delta patching: take the largest differences of neuron or SAE-feature activations between a
// source prompt and a target prompt (a_source − a_target at paired positions, the last ones by
// default), add them (optionally scaled) into the target's run, and report how the target's
// next-token distribution moves: top tokens before and after, KL divergences, a metric.
//
// The units are ranked by the size of their delta (L2 over the position pairs), pooled over all
// hooks of the site. Deltas of several layers add up as if independent: a later layer's delta
// was measured without the earlier layer's edit, so with more than one layer the edit can
// overshoot; choose one layer to move one step of the computation.

import * as tf from '@tensorflow/tfjs';
import { FeaturescopeError } from '../../shared/errors';
import type { LoadedModel } from '../model/load';
import type { HookBinding } from '../model/interventions';
import { logSoftmax, type TokenProbability, topTokens } from '../model/sampling';
import { type AttributionMetric, runMetric } from './metric';
import { captureUnits, checkPrompts } from './runs';
import { type AttributionSite, type SiteHook, type UnitRef, editUnits, resolveSite } from './sites';

export interface DeltaPatchOptions {
  sourceTokens: number[];
  targetTokens: number[];
  site: AttributionSite;
  /** Source positions whose activations are read; default [last]. */
  sourcePositions?: number[];
  /** Target positions the deltas are added at, paired with sourcePositions; default [last]. */
  targetPositions?: number[];
  /** Units moved, largest deltas first; default 20. */
  topN?: number;
  /** Multiplies every delta; default 1 (the units take the source's values). */
  scale?: number;
  /** Optional metric read at the target's last position before and after (and on the source). */
  metric?: AttributionMetric;
  /** Tokens listed per distribution; default 10. */
  topK?: number;
}

export interface PatchedUnit extends UnitRef {
  /** a_source − a_target per position pair (before scaling). */
  deltas: number[];
}

export interface DeltaPatchResult {
  units: PatchedUnit[];
  sourcePositions: number[];
  targetPositions: number[];
  /** Next-token distributions at the last position. */
  source: TokenProbability[];
  before: TokenProbability[];
  after: TokenProbability[];
  /** KL(after ‖ before): how far the edit moved the target (nats). */
  klAfterBefore: number;
  /** KL(source ‖ before) and KL(source ‖ after): the gap to the source before and after the edit. */
  klSourceBefore: number;
  klSourceAfter: number;
  metric: { source: number; before: number; after: number } | null;
}

const DEFAULT_TOP_N = 20;
const DEFAULT_TOP_K = 10;

export function deltaPatch(model: LoadedModel, opts: DeltaPatchOptions): DeltaPatchResult {
  for (const [field, tokens] of [['sourceTokens', opts.sourceTokens], ['targetTokens', opts.targetTokens]] as const) {
    if (!Array.isArray(tokens) || tokens.length === 0) throw new FeaturescopeError('invalid_input', `${field}: the prompt needs at least one token`, field);
  }
  const sourcePositions = checkPositions(opts.sourcePositions, opts.sourceTokens.length, 'sourcePositions');
  const targetPositions = checkPositions(opts.targetPositions, opts.targetTokens.length, 'targetPositions');
  if (sourcePositions.length !== targetPositions.length) {
    throw new FeaturescopeError('invalid_input', `targetPositions: ${targetPositions.length} positions for ${sourcePositions.length} source positions; they are paired one to one`, 'targetPositions');
  }
  const topN = opts.topN ?? DEFAULT_TOP_N;
  if (!Number.isInteger(topN) || topN < 1) throw new FeaturescopeError('invalid_input', `topN: must be a positive integer, got ${topN}`, 'topN');
  const scale = opts.scale ?? 1;
  if (!Number.isFinite(scale)) throw new FeaturescopeError('invalid_input', 'scale: must be a finite number', 'scale');
  if (opts.metric !== undefined) {
    checkPrompts(model, opts.targetTokens, undefined, opts.metric);
    checkPrompts(model, opts.sourceTokens, undefined, opts.metric);
  }
  const topK = opts.topK ?? DEFAULT_TOP_K;
  const sites = resolveSite(opts.site, model.config, model.hookNames());

  let out: { units: PatchedUnit[]; source: Float32Array; before: Float32Array; after: Float32Array; continuation: DeltaPatchResult['metric'] } | null = null;
  tf.tidy(() => {
    const source = captureUnits(model, opts.sourceTokens, sites);
    const target = captureUnits(model, opts.targetTokens, sites);
    const units = largestDeltas(sites, source.units, target.units, sourcePositions, targetPositions, topN);
    const hooks: HookBinding[] = sites.map((site) => {
      const add = deltaTensor(site, units, opts.targetTokens.length, targetPositions, scale); // [1, pos, width]
      return { hook: site.hook, fn: (act: tf.Tensor) => editUnits(site, act, (u) => u.add(add)) };
    });
    const { logits, captured } = model.run([opts.targetTokens], { hooks, lastPositionOnly: true });
    for (const t of captured.values()) t.dispose();
    // A continuation metric needs forwards of its own over prompt + continuation (runMetric).
    const m = opts.metric;
    const continuation =
      m === undefined || m.kind === 'logprob' || m.kind === 'logit-diff'
        ? null
        : { source: scalarOf(runMetric(model, [opts.sourceTokens], [], m)), before: scalarOf(runMetric(model, [opts.targetTokens], [], m)), after: scalarOf(runMetric(model, [opts.targetTokens], hooks, m)) };
    out = { units, source: source.logits.dataSync() as Float32Array, before: target.logits.dataSync() as Float32Array, after: logits.dataSync() as Float32Array, continuation };
  });
  if (out === null) throw new FeaturescopeError('internal', 'delta patching produced no result');
  const { units, source, before, after, continuation } = out;
  const [ls, lb, la] = [logSoftmax(source), logSoftmax(before), logSoftmax(after)];
  const metricOf = (logits: Float32Array, logProbs: Float64Array): number => {
    const m = opts.metric as AttributionMetric;
    if (m.kind === 'logprob') return logProbs[m.token] ?? NaN;
    if (m.kind === 'logit-diff') return (logits[m.tokenA] ?? NaN) - (logits[m.tokenB] ?? NaN);
    return NaN; // continuations: read from their own forwards above
  };
  return {
    units,
    sourcePositions,
    targetPositions,
    source: topTokens(source, topK),
    before: topTokens(before, topK),
    after: topTokens(after, topK),
    klAfterBefore: klDivergence(la, lb),
    klSourceBefore: klDivergence(ls, lb),
    klSourceAfter: klDivergence(ls, la),
    metric: opts.metric === undefined ? null : (continuation ?? { source: metricOf(source, ls), before: metricOf(before, lb), after: metricOf(after, la) }),
  };
}

const scalarOf = (t: tf.Tensor1D): number => t.dataSync()[0] ?? NaN;

/** KL(p ‖ q) in nats from log-probabilities. */
export function klDivergence(logP: ArrayLike<number>, logQ: ArrayLike<number>): number {
  let kl = 0;
  for (let i = 0; i < logP.length; i++) {
    const lp = logP[i] as number;
    if (lp === -Infinity) continue;
    kl += Math.exp(lp) * (lp - (logQ[i] as number));
  }
  return kl;
}

function checkPositions(given: number[] | undefined, length: number, field: string): number[] {
  const positions = given ?? [length - 1];
  if (positions.length === 0) throw new FeaturescopeError('invalid_input', `${field}: choose at least one position`, field);
  positions.forEach((p) => {
    if (!Number.isInteger(p) || p < 0 || p >= length) throw new FeaturescopeError('invalid_input', `${field}: position ${p} is outside the prompt's ${length} tokens`, field);
  });
  if (new Set(positions).size !== positions.length) throw new FeaturescopeError('invalid_input', `${field}: a position is listed twice`, field);
  return positions;
}

/** The topN units with the largest delta norm over the position pairs, pooled over the site hooks. */
function largestDeltas(sites: SiteHook[], source: tf.Tensor[], target: tf.Tensor[], srcPos: number[], tgtPos: number[], topN: number): PatchedUnit[] {
  const all: { unit: PatchedUnit; size: number }[] = [];
  sites.forEach((site, i) => {
    const s = (source[i] as tf.Tensor).reshape([-1, site.width]).arraySync() as number[][]; // [pos_source, width]
    const t = (target[i] as tf.Tensor).reshape([-1, site.width]).arraySync() as number[][]; // [pos_target, width]
    for (let j = 0; j < site.width; j++) {
      const deltas = srcPos.map((p, k) => (s[p]?.[j] ?? 0) - (t[tgtPos[k] as number]?.[j] ?? 0));
      const size = Math.hypot(...deltas);
      if (size > 0) all.push({ unit: { hook: site.hook, index: j, deltas }, size });
    }
  });
  all.sort((a, b) => b.size - a.size);
  return all.slice(0, topN).map((x) => x.unit);
}

/** The scaled deltas of the chosen units of one hook as a [1, pos, width] addend. */
function deltaTensor(site: SiteHook, units: PatchedUnit[], pos: number, tgtPos: number[], scale: number): tf.Tensor {
  const data = new Float32Array(pos * site.width);
  for (const u of units) {
    if (u.hook !== site.hook) continue;
    tgtPos.forEach((p, k) => {
      data[p * site.width + u.index] = scale * (u.deltas[k] ?? 0);
    });
  }
  return tf.tensor3d(data, [1, pos, site.width]);
}
