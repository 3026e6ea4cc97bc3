// The bias audit: for every unit (MLP neuron, or SAE feature at the SAE's hook), how differently
// does it respond to the two sides of a contrast set? Three lines of evidence per unit:
//  - the pooled activation on each side of every pair, compared by a paired t-test (p, then
//    Benjamini–Hochberg q over every unit tested) with Cohen's d on the unit's own scale;
//  - attribution patching of the attribute metric (logit(tokenA) − logit(tokenB) at the last
//    token), patching side b's activations into side a, averaged over pairs of equal length;
//  - the weight of the unit in a lasso probe separating side a from side b, split train/test by
//    pair (both sentences of a pair on one side, so the held-out accuracy is not read off a twin).
// Findings are the significant units ranked by |Cohen's d|.

import { FeaturescopeError } from '../../shared/errors';
import { attribute, type AttributionMetric } from '../attribution';
import type { LoadedModel } from '../model/load';
import { fitProbe, probeActivations, type ProbePooling } from '../probes';
import type { Sae } from '../sae/sae';
import { benjaminiHochberg, pairedTTest } from './stats';

export interface TokenPair {
  a: number[];
  b: number[];
}

export type AuditSite = { kind: 'neurons'; layers?: number[] } | { kind: 'sae'; sae: Sae };

export interface AuditOptions {
  site: AuditSite;
  pooling?: ProbePooling;
  metric?: AttributionMetric | null;
  /** Findings kept; default 20. */
  topN?: number;
  /** BH false-discovery rate a finding must pass; default 0.05. */
  alpha?: number;
  /** Seed of the probe's train/test split; default 0. */
  seed?: number;
  /** Pairs used for attribution (one forward and backward each); default 32. */
  attributionPairs?: number;
  /**
   * Called between steps with the model runs done of the total (a prompt's forward, a pair's
   * attribution); awaited, so a job can report progress, yield and stop there.
   */
  onProgress?: (done: number, total: number, message: string) => void | Promise<void>;
}

/** Prompts run per step between progress reports. */
const PROMPTS_PER_STEP = 16;

export interface UnitEvidence {
  hook: string;
  index: number;
  unitKind: 'neuron' | 'sae-feature';
  meanA: number;
  meanB: number;
  meanDiff: number;
  t: number;
  p: number;
  q: number;
  cohenD: number;
  /** Mean predicted metric change when this unit takes side b's value in side a's prompt; null without a metric. */
  attribution: number | null;
  /** Standardised coefficient in the probe (0 when the probe did not use the unit). */
  probeWeight: number;
  /** Pooled activation per pair, side a and side b. */
  valuesA: number[];
  valuesB: number[];
}

export interface AuditResult {
  pairs: number;
  unitsTested: number;
  significant: number;
  attributionPairs: number;
  metricClean: number | null;
  /** testPairs: the pairs (indices into the input) with a sentence held out by the probe; it holds out both or neither. */
  probe: { testAccuracy: number | null; features: number; testPairs: number[] };
  findings: UnitEvidence[];
}

/** The hooks an audit reads, with the unit kind there. */
export function auditHooks(model: LoadedModel, site: AuditSite): Array<{ hook: string; sae?: Sae }> {
  if (site.kind === 'sae') return [{ hook: site.sae.cfg.metadata.hook_name, sae: site.sae }];
  const n = model.config.nLayers;
  const layers = site.layers ?? Array.from({ length: n }, (_, L) => L);
  if (layers.length === 0) throw new FeaturescopeError('invalid_input', 'layers: choose at least one layer', 'layers');
  for (const L of layers) if (!Number.isInteger(L) || L < 0 || L >= n) throw new FeaturescopeError('invalid_input', `layers: layer ${L} is outside [0, ${n})`, 'layers');
  return [...new Set(layers)].map((L) => ({ hook: `blocks.${L}.mlp.hook_post` }));
}

/** Pooled activations of one hook for both sides: [pairs, width] each, row-major. */
export interface SideActivations {
  a: Float64Array;
  b: Float64Array;
  width: number;
}

/**
 * The one computation of SideActivations, PROMPTS_PER_STEP prompts at a time: side a's prompts,
 * then side b's. Yields the number of prompts run after each chunk, so a driver can report
 * progress, yield to the event loop or stop there; returns the activations.
 */
function* sideActivationSteps(model: LoadedModel, pairs: TokenPair[], hook: string, sae: Sae | undefined, pooling: ProbePooling): Generator<number, SideActivations> {
  const opts = { hook, pooling, ...(sae ? { sae } : {}) };
  let width = 0;
  function* side(pick: (p: TokenPair) => number[]): Generator<number, Float64Array> {
    const parts: Float64Array[] = [];
    for (let start = 0; start < pairs.length; start += PROMPTS_PER_STEP) {
      const chunk = pairs.slice(start, start + PROMPTS_PER_STEP);
      const r = probeActivations(model, chunk.map(pick), opts);
      parts.push(r.x);
      width = r.width;
      yield chunk.length;
    }
    const out = new Float64Array(pairs.length * width);
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }
  const a = yield* side((p) => p.a);
  const b = yield* side((p) => p.b);
  return { a, b, width };
}

/** SideActivations in one go (a replay of one unit: no progress to report). */
export function sideActivations(model: LoadedModel, pairs: TokenPair[], hook: string, sae: Sae | undefined, pooling: ProbePooling): SideActivations {
  const steps = sideActivationSteps(model, pairs, hook, sae, pooling);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/** SideActivations, awaiting `step(prompts)` after each chunk; a throwing step (a cancelled job) stops the runs there. */
async function sideActivationsInSteps(model: LoadedModel, pairs: TokenPair[], hook: string, sae: Sae | undefined, pooling: ProbePooling, step: (prompts: number) => Promise<void>): Promise<SideActivations> {
  const steps = sideActivationSteps(model, pairs, hook, sae, pooling);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    await step(next.value);
  }
}

export function column(x: Float64Array, width: number, j: number): number[] {
  const out = new Array<number>(x.length / width);
  for (let i = 0; i < out.length; i++) out[i] = x[i * width + j] as number;
  return out;
}

/** The pairs attribution runs on: equal-length ones (positions must line up), the first few. */
function attributionSample(pairs: TokenPair[], opts: AuditOptions): TokenPair[] {
  return opts.metric ? pairs.filter((p) => p.a.length === p.b.length).slice(0, opts.attributionPairs ?? 32) : [];
}

/** Model runs an audit makes (the total its progress counts to): every prompt at every hook, then attribution. */
export function auditRunCount(model: LoadedModel, pairs: TokenPair[], opts: AuditOptions): number {
  return auditHooks(model, opts.site).length * 2 * pairs.length + attributionSample(pairs, opts).length;
}

export async function runAudit(model: LoadedModel, pairs: TokenPair[], opts: AuditOptions): Promise<AuditResult> {
  if (pairs.length < 3) throw new FeaturescopeError('invalid_input', `contrastSet: ${pairs.length} pairs; an audit needs at least 3`, 'contrastSet');
  const pooling = opts.pooling ?? 'mean';
  const alpha = opts.alpha ?? 0.05;
  const hooks = auditHooks(model, opts.site);
  const n = pairs.length;
  const usable = attributionSample(pairs, opts);
  const totalRuns = auditRunCount(model, pairs, opts);
  let runsDone = 0;
  const report = async (runs: number, message: string) => {
    runsDone += runs;
    await opts.onProgress?.(runsDone, totalRuns, message);
  };

  // Activation difference per unit.
  const sides: Array<{ hook: string; kind: UnitEvidence['unitKind']; a: Float64Array; b: Float64Array; width: number }> = [];
  for (const { hook, sae } of hooks) {
    const acts = await sideActivationsInSteps(model, pairs, hook, sae, pooling, (runs) => report(runs, `activations at ${hook}`));
    sides.push({ hook, kind: sae ? 'sae-feature' : 'neuron', ...acts });
  }
  const units: Array<Omit<UnitEvidence, 'q' | 'attribution' | 'probeWeight' | 'valuesA' | 'valuesB'> & { col: number; side: (typeof sides)[number] }> = [];
  let col = 0;
  for (const side of sides) {
    for (let j = 0; j < side.width; j++, col++) {
      const va = column(side.a, side.width, j);
      const vb = column(side.b, side.width, j);
      const test = pairedTTest(va, vb);
      const meanA = va.reduce((s, v) => s + v, 0) / n;
      units.push({ hook: side.hook, index: j, unitKind: side.kind, meanA, meanB: meanA + test.meanDiff, meanDiff: test.meanDiff, t: test.t, p: test.p, cohenD: test.cohenD, col, side });
    }
  }
  const q = benjaminiHochberg(units.map((u) => u.p));

  // Probe over every unit: side a = 0, side b = 1.
  await report(0, `lasso probe over ${units.length} units`);
  const width = col;
  const x = new Float64Array(2 * n * width);
  for (let i = 0; i < n; i++) {
    let offset = 0;
    for (const side of sides) {
      x.set(side.a.subarray(i * side.width, (i + 1) * side.width), i * width + offset);
      x.set(side.b.subarray(i * side.width, (i + 1) * side.width), (n + i) * width + offset);
      offset += side.width;
    }
  }
  const labels = [...new Array<number>(n).fill(0), ...new Array<number>(n).fill(1)];
  const pairOfRow = labels.map((_, row) => row % n);
  const probe = fitProbe(x, width, labels, { seed: opts.seed ?? 0, targetAccuracy: 0.9, groups: pairOfRow });
  // The smallest set reaching the target, or the densest fit when none does.
  const chosenFit = (probe.smallest ? probe.path.fits.find((f) => f.lambda === probe.smallest?.lambda) : undefined) ?? probe.path.fits[probe.path.fits.length - 1];
  const probeWeights = chosenFit?.coef ?? new Float64Array(width);

  // Attribution of the metric, b patched into a, over equal-length pairs.
  const attributionScores = new Map<string, Float64Array>();
  let attributionPairs = 0;
  let metricSum = 0;
  if (opts.metric) {
    await report(0, `attribution over ${usable.length} pairs`);
    const site = opts.site.kind === 'sae' ? { kind: 'sae' as const, sae: opts.site.sae } : { kind: 'neurons' as const, layers: hooks.map((h) => Number(h.hook.split('.')[1])) };
    for (const p of usable) {
      const r = attribute(model, { tokens: p.a, patchTokens: p.b, metric: opts.metric, site, method: 'gradient' });
      metricSum += r.metricClean;
      for (const h of r.hooks) {
        const acc = attributionScores.get(h.hook) ?? new Float64Array(h.width);
        h.scores.forEach((s, j) => (acc[j] = (acc[j] as number) + s));
        attributionScores.set(h.hook, acc);
      }
      attributionPairs++;
      await report(1, `attribution over ${usable.length} pairs`);
    }
  }

  const significant = units.filter((_, k) => (q[k] as number) < alpha);
  const ranked = significant.sort((u, v) => Math.abs(v.cohenD) - Math.abs(u.cohenD) || Math.abs(v.meanDiff) - Math.abs(u.meanDiff)).slice(0, opts.topN ?? 20);
  const findings = ranked.map((u): UnitEvidence => {
    const attr = attributionScores.get(u.hook);
    return {
      hook: u.hook,
      index: u.index,
      unitKind: u.unitKind,
      meanA: u.meanA,
      meanB: u.meanB,
      meanDiff: u.meanDiff,
      t: u.t,
      p: u.p,
      q: q[units.indexOf(u)] as number,
      cohenD: u.cohenD,
      attribution: attr && attributionPairs > 0 ? (attr[u.index] as number) / attributionPairs : null,
      probeWeight: probeWeights[u.col] as number,
      valuesA: column(u.side.a, u.side.width, u.index),
      valuesB: column(u.side.b, u.side.width, u.index),
    };
  });
  return {
    pairs: n,
    unitsTested: units.length,
    significant: significant.length,
    attributionPairs,
    metricClean: attributionPairs > 0 ? metricSum / attributionPairs : null,
    probe: { testAccuracy: probe.smallest?.testAccuracy ?? probe.steps[probe.steps.length - 1]?.testAccuracy ?? null, features: chosenFit?.active.length ?? 0, testPairs: [...new Set(probe.testRows.map((row) => row % n))].sort((a, b) => a - b) },
    findings,
  };
}

/** One unit's activation evidence again (for replaying a logged finding). */
export function unitEvidence(model: LoadedModel, pairs: TokenPair[], hook: string, index: number, sae: Sae | undefined, pooling: ProbePooling): ReturnType<typeof pairedTTest> & { valuesA: number[]; valuesB: number[] } {
  const side = sideActivations(model, pairs, hook, sae, pooling);
  if (index < 0 || index >= side.width) throw new FeaturescopeError('invalid_input', `index: unit ${index} is outside [0, ${side.width}) at ${hook}`, 'index');
  const valuesA = column(side.a, side.width, index);
  const valuesB = column(side.b, side.width, index);
  return { ...pairedTTest(valuesA, valuesB), valuesA, valuesB };
}
