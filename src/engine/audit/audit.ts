// The bias audit: which units (MLP neurons, or SAE features at the SAE's hook) encode a protected
// attribute, and which of those drive a biased prediction?
//  1. Encodes the attribute ("<attribute>-sensitive"): each unit's activation pooled over the
//     positions where both sides of a pair have the same tokens (positions.ts: the shared context
//     after the swapped words), so a unit that merely reads "he" or "she" cannot differ. Paired
//     sign-flip permutation test per unit (permutation.ts), Benjamini–Hochberg q over every unit,
//     and an effect-size floor: |Cohen's d| ≥ minEffect on the unit's own scale.
//  2. Drives a biased prediction ("bias"): for the units of 1, patching side b's activation into
//     side a at those positions moves the set's outcome contrast (e.g. logit(" nurse") −
//     logit(" engineer")) toward side b's value — predicted by attribution patching and verified
//     by a real patch per unit and pair (outcome.ts): BH q < α over the candidates, the same sign
//     as the model's own gap, and at least minShare of that gap, which must itself be significant.
//  3. The weight of the unit in a lasso probe separating the sides (split by pair).
// Findings: units of 1, those of 2 first (by measured effect), then by |d|.

import { FeaturescopeError } from '../../shared/errors';
import type { AttributionMetric } from '../attribution';
import { resolveSite, type AttributionSite, type SiteHook } from '../attribution/sites';
import type { LoadedModel } from '../model/load';
import { fitProbe, probeActivations, type ProbePooling } from '../probes';
import type { Sae } from '../sae/sae';
import { PROMPTS_PER_STEP, pooledSideSteps, pooledSides, type HookSides } from './activations';
import { measuredOutcomeEffects, outcomeAttribution, type OutcomePair } from './outcome';
import { DEFAULT_PERMUTATIONS, signFlipP } from './permutation';
import { alignPair, comparedPositions, type AuditPositions } from './positions';
import { benjaminiHochberg, pairedTTest } from './stats';

export interface TokenPair {
  a: number[];
  b: number[];
}

export type AuditSite = { kind: 'neurons'; layers?: number[] } | { kind: 'sae'; sae: Sae };

export interface AuditOptions {
  site: AuditSite;
  pooling?: ProbePooling;
  /** Where the sides are compared; default 'context' (see positions.ts). */
  positions?: AuditPositions;
  /** The downstream contrast a biased prediction moves; null: nothing is tagged bias. */
  metric?: AttributionMetric | null;
  /** Findings kept; default 20. */
  topN?: number;
  /** BH false-discovery rate a finding must pass; default 0.05. */
  alpha?: number;
  /** Smallest |Cohen's d| a finding may have; default 0.5. */
  minEffect?: number;
  /** Smallest share of the model's own outcome gap a bias driver must move; default 0.1. */
  minShare?: number;
  /** Sign-flip draws per unit; default 9999. */
  permutations?: number;
  /** Seed of the permutations and the probe's train/test split; default 0. */
  seed?: number;
  /** Pairs used for the outcome (attribution and verifying patches); default 32. */
  attributionPairs?: number;
  /** Called between steps with the model runs done of the total; awaited, so a job can report progress, yield and stop there. */
  onProgress?: (done: number, total: number, message: string) => void | Promise<void>;
}

export const AUDIT_DEFAULTS = { pooling: 'mean', positions: 'context', alpha: 0.05, minEffect: 0.5, minShare: 0.1, permutations: DEFAULT_PERMUTATIONS, seed: 0, attributionPairs: 32, topN: 20 } as const;

/** Candidates whose outcome effect is verified by real patches. */
const MAX_VERIFIED = 20;

export type FindingRole = 'bias' | 'sensitive';

export interface UnitEvidence {
  hook: string;
  index: number;
  unitKind: 'neuron' | 'sae-feature';
  /** 'bias': drives a biased prediction (verified); 'sensitive': encodes the attribute only. */
  role: FindingRole;
  meanA: number;
  meanB: number;
  meanDiff: number;
  t: number;
  /** Permutation p of the mean difference. */
  p: number;
  q: number;
  cohenD: number;
  /** Predicted outcome change when this unit takes side b's value in side a's prompt (compared positions); null without an outcome. */
  attribution: number | null;
  /** Measured outcome change of the same patch (real forwards), mean over pairs; null when not verified. */
  measuredEffect: number | null;
  /** BH q of the measured effect over the verified candidates; null when not verified. */
  effectQ: number | null;
  /** Standardised coefficient in the probe (0 when the probe did not use the unit). */
  probeWeight: number;
  /** Pooled activation per compared pair, side a and side b. */
  valuesA: number[];
  valuesB: number[];
}

export interface AuditResult {
  /** Pairs in the set, and those compared (with shared tokens at the compared positions). */
  pairs: number;
  comparedPairs: number[];
  unitsTested: number;
  /** Units with q < α before the effect-size floor. */
  significantBeforeFloor: number;
  /** Units that pass q < α and the floor: encode the attribute. */
  significant: number;
  /** Of those, the units that drive the biased prediction. */
  biasDrivers: number;
  attributionPairs: number;
  /** The outcome gap metric(b) − metric(a): mean and permutation p; null without an outcome. */
  outcome: { gapMean: number; gapP: number; pairs: number } | null;
  /** The mean outcome on side a (kept for older readers). */
  metricClean: number | null;
  probe: { testAccuracy: number | null; features: number; testPairs: number[] };
  findings: UnitEvidence[];
}

function toAttributionSite(site: AuditSite): AttributionSite {
  return site.kind === 'sae' ? { kind: 'sae', sae: site.sae } : { kind: 'neurons', ...(site.layers ? { layers: [...new Set(site.layers)] } : {}) };
}

function auditSites(model: LoadedModel, site: AuditSite): SiteHook[] {
  try {
    return resolveSite(toAttributionSite(site), model.config, model.hookNames());
  } catch (e) {
    // resolveSite names its field site.layers / site.sae; the audit's fields are layers / sae.
    if (e instanceof FeaturescopeError) throw new FeaturescopeError(e.code, e.message.replace(/^site\./, ''), e.field?.replace(/^site\./, ''));
    throw e;
  }
}

export function column(x: Float64Array, width: number, j: number): number[] {
  const out = new Array<number>(x.length / width);
  for (let i = 0; i < out.length; i++) out[i] = x[i * width + j] as number;
  return out;
}

/** The pairs the sides are compared on: with at least one compared position. */
function comparedPairs(pairs: TokenPair[], positions: AuditPositions): number[] {
  return pairs.flatMap((p, i) => (comparedPositions(p.a.length, alignPair(p), positions).length > 0 ? [i] : []));
}

/** The compared pairs the outcome runs on: equal-length ones (a patch lines up position by position), the first few. */
function outcomeSample(pairs: TokenPair[], compared: number[], opts: AuditOptions): OutcomePair[] {
  if (!opts.metric) return [];
  const positions = opts.positions ?? AUDIT_DEFAULTS.positions;
  return compared
    .filter((i) => (pairs[i] as TokenPair).a.length === (pairs[i] as TokenPair).b.length)
    .slice(0, opts.attributionPairs ?? AUDIT_DEFAULTS.attributionPairs)
    .map((i) => {
      const tokens = pairs[i] as TokenPair;
      return { pair: i, tokens, at: comparedPositions(tokens.a.length, alignPair(tokens), positions) };
    });
}

/** Model runs an audit makes (the total its progress counts to): every compared prompt, the outcome's attribution, then its verification. */
export function auditRunCount(model: LoadedModel, pairs: TokenPair[], opts: AuditOptions): number {
  const compared = comparedPairs(pairs, opts.positions ?? AUDIT_DEFAULTS.positions);
  const outcome = outcomeSample(pairs, compared, opts).length;
  return 2 * compared.length + 2 * outcome;
}

export async function runAudit(model: LoadedModel, allPairs: TokenPair[], opts: AuditOptions): Promise<AuditResult> {
  const pooling = opts.pooling ?? AUDIT_DEFAULTS.pooling;
  const positions = opts.positions ?? AUDIT_DEFAULTS.positions;
  const alpha = opts.alpha ?? AUDIT_DEFAULTS.alpha;
  const minEffect = opts.minEffect ?? AUDIT_DEFAULTS.minEffect;
  const minShare = opts.minShare ?? AUDIT_DEFAULTS.minShare;
  const seed = opts.seed ?? AUDIT_DEFAULTS.seed;
  const sites = auditSites(model, opts.site);
  const compared = comparedPairs(allPairs, positions);
  if (compared.length < 3) {
    throw new FeaturescopeError(
      'invalid_input',
      `contrastSet: ${compared.length} of ${allPairs.length} pairs have tokens shared by both sides after the swapped words; an audit needs at least 3 (end each prompt with the same words on both sides, e.g. "He is a nurse who" / "She is a nurse who")`,
      'contrastSet',
    );
  }
  const pairs = compared.map((i) => allPairs[i] as TokenPair);
  const alignments = pairs.map(alignPair);
  const n = pairs.length;
  const usable = outcomeSample(allPairs, compared, opts);
  const totalRuns = auditRunCount(model, allPairs, opts);
  let runsDone = 0;
  const report = async (runs: number, message: string) => {
    runsDone += runs;
    await opts.onProgress?.(runsDone, totalRuns, message);
  };

  // 1. Encodes the attribute: pooled activations at the compared positions.
  const steps = pooledSideSteps(model, pairs, alignments, sites, positions, pooling);
  let sides: HookSides[];
  for (;;) {
    const next = steps.next();
    if (next.done) {
      sides = next.value;
      break;
    }
    await report(next.value, `activations at ${sites.map((s) => s.hook).join(', ')}`);
  }
  type Unit = Omit<UnitEvidence, 'q' | 'role' | 'attribution' | 'measuredEffect' | 'effectQ' | 'probeWeight' | 'valuesA' | 'valuesB'> & { col: number; side: HookSides };
  const units: Unit[] = [];
  let col = 0;
  for (const side of sides) {
    for (let j = 0; j < side.width; j++, col++) {
      const va = column(side.a, side.width, j);
      const vb = column(side.b, side.width, j);
      const test = pairedTTest(va, vb);
      const p = signFlipP(
        vb.map((v, i) => v - (va[i] as number)),
        { permutations: opts.permutations ?? AUDIT_DEFAULTS.permutations, seed: seed * 1_000_003 + col },
      );
      const meanA = va.reduce((s, v) => s + v, 0) / n;
      units.push({ hook: side.hook, index: j, unitKind: side.unitKind, meanA, meanB: meanA + test.meanDiff, meanDiff: test.meanDiff, t: test.t, p, cohenD: test.cohenD, col, side });
    }
  }
  const q = benjaminiHochberg(units.map((u) => u.p));
  const passing = units.filter((_, k) => (q[k] as number) < alpha);
  const sensitive = passing.filter((u) => Math.abs(u.cohenD) >= minEffect);

  // 3. Probe over every unit: side a = 0, side b = 1, split by pair.
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
  const probe = fitProbe(x, width, labels, { seed, targetAccuracy: 0.9, groups: labels.map((_, row) => row % n) });
  // The smallest set reaching the target, or the densest fit when none does.
  const chosenFit = (probe.smallest ? probe.path.fits.find((f) => f.lambda === probe.smallest?.lambda) : undefined) ?? probe.path.fits[probe.path.fits.length - 1];
  const probeWeights = chosenFit?.coef ?? new Float64Array(width);

  // 2. Drives a biased prediction: attribution to the outcome, verified by real patches.
  let outcome: AuditResult['outcome'] = null;
  let predicted = new Map<string, Float64Array>();
  const verified = new Map<Unit, { effect: number; q: number; drives: boolean }>();
  if (opts.metric && usable.length > 0) {
    const metric = opts.metric;
    const attributed = await outcomeAttribution(model, usable, toAttributionSite(opts.site), metric, () => report(1, `outcome attribution over ${usable.length} pairs`));
    predicted = attributed.predicted;
    const gapMean = attributed.gaps.reduce((s, v) => s + v, 0) / attributed.gaps.length;
    outcome = { gapMean, gapP: signFlipP(attributed.gaps, { permutations: opts.permutations ?? AUDIT_DEFAULTS.permutations, seed }), pairs: usable.length };
    const score = (u: Unit) => Math.abs(predicted.get(u.hook)?.[u.index] ?? 0);
    const candidates = [...sensitive].sort((u, v) => score(v) - score(u)).slice(0, MAX_VERIFIED);
    const effects = await measuredOutcomeEffects(model, usable, sites, candidates, metric, () => report(1, `verifying ${candidates.length} units by patching, over ${usable.length} pairs`));
    if (candidates.length === 0) await report(usable.length, 'no unit encodes the attribute: nothing to verify');
    const effectQ = benjaminiHochberg(effects.map((e, k) => signFlipP(e, { permutations: opts.permutations ?? AUDIT_DEFAULTS.permutations, seed: seed + 7919 * (k + 1) })));
    const modelBiased = outcome.gapP < alpha && gapMean !== 0;
    candidates.forEach((u, k) => {
      const e = effects[k] as number[];
      const effect = e.reduce((s, v) => s + v, 0) / e.length;
      const eq = effectQ[k] as number;
      const drives = modelBiased && eq < alpha && Math.sign(effect) === Math.sign(gapMean) && Math.abs(effect) >= minShare * Math.abs(gapMean);
      verified.set(u, { effect, q: eq, drives });
    });
  } else if (opts.metric) {
    // Progress still reaches its total when no pair lines up for the outcome.
    await report(0, 'no equal-length pairs for the outcome');
  }

  const drives = (u: Unit) => verified.get(u)?.drives ?? false;
  const ranked = [...sensitive]
    .sort((u, v) => Number(drives(v)) - Number(drives(u)) || (drives(u) ? Math.abs(verified.get(v)!.effect) - Math.abs(verified.get(u)!.effect) : 0) || Math.abs(v.cohenD) - Math.abs(u.cohenD) || Math.abs(v.meanDiff) - Math.abs(u.meanDiff))
    .slice(0, opts.topN ?? AUDIT_DEFAULTS.topN);
  const findings = ranked.map((u): UnitEvidence => {
    const v = verified.get(u);
    const attr = predicted.get(u.hook);
    return {
      hook: u.hook,
      index: u.index,
      unitKind: u.unitKind,
      role: v?.drives ? 'bias' : 'sensitive',
      meanA: u.meanA,
      meanB: u.meanB,
      meanDiff: u.meanDiff,
      t: u.t,
      p: u.p,
      q: q[u.col] as number,
      cohenD: u.cohenD,
      attribution: attr ? (attr[u.index] as number) : null,
      measuredEffect: v?.effect ?? null,
      effectQ: v?.q ?? null,
      probeWeight: probeWeights[u.col] as number,
      valuesA: column(u.side.a, u.side.width, u.index),
      valuesB: column(u.side.b, u.side.width, u.index),
    };
  });
  return {
    pairs: allPairs.length,
    comparedPairs: compared,
    unitsTested: units.length,
    significantBeforeFloor: passing.length,
    significant: sensitive.length,
    biasDrivers: [...verified.values()].filter((v) => v.drives).length,
    attributionPairs: outcome?.pairs ?? 0,
    outcome,
    metricClean: null,
    probe: { testAccuracy: probe.smallest?.testAccuracy ?? probe.steps[probe.steps.length - 1]?.testAccuracy ?? null, features: chosenFit?.active.length ?? 0, testPairs: [...new Set(probe.testRows.map((row) => compared[row % n] as number))].sort((a, b) => a - b) },
    findings,
  };
}

/** One unit's pooled activations again, as audit.run computed them (for replaying a logged finding). */
export function unitEvidence(model: LoadedModel, allPairs: TokenPair[], hook: string, index: number, sae: Sae | undefined, pooling: ProbePooling, positions: AuditPositions): ReturnType<typeof pairedTTest> & { valuesA: number[]; valuesB: number[] } {
  const site: AuditSite = sae ? { kind: 'sae', sae } : { kind: 'neurons', layers: [Number(hook.split('.')[1])] };
  const sites = auditSites(model, site).filter((s) => s.hook === hook);
  if (sites.length === 0) throw new FeaturescopeError('invalid_input', `hook: ${hook} is not an audited hook of this model`, 'hook');
  const pairs = comparedPairs(allPairs, positions).map((i) => allPairs[i] as TokenPair);
  const [side] = pooledSides(model, pairs, pairs.map(alignPair), sites, positions, pooling);
  if (!side || index < 0 || index >= side.width) throw new FeaturescopeError('invalid_input', `index: unit ${index} is outside [0, ${side?.width ?? 0}) at ${hook}`, 'index');
  const valuesA = column(side.a, side.width, index);
  const valuesB = column(side.b, side.width, index);
  return { ...pairedTTest(valuesA, valuesB), valuesA, valuesB };
}

/**
 * A finding logged before issue #18 again, by the method that made it: activations pooled over
 * every token of every pair, swapped words included (one forward per prompt and hook).
 */
export function legacyUnitEvidence(model: LoadedModel, pairs: TokenPair[], hook: string, index: number, sae: Sae | undefined, pooling: ProbePooling): ReturnType<typeof pairedTTest> & { valuesA: number[]; valuesB: number[] } {
  const opts = { hook, pooling, ...(sae ? { sae } : {}) };
  const side = (pick: (p: TokenPair) => number[]) => {
    const parts: Float64Array[] = [];
    let width = 0;
    for (let start = 0; start < pairs.length; start += PROMPTS_PER_STEP) {
      const r = probeActivations(model, pairs.slice(start, start + PROMPTS_PER_STEP).map(pick), opts);
      parts.push(r.x);
      width = r.width;
    }
    const x = new Float64Array(pairs.length * width);
    let offset = 0;
    for (const part of parts) {
      x.set(part, offset);
      offset += part.length;
    }
    return { x, width };
  };
  const a = side((p) => p.a);
  const b = side((p) => p.b);
  if (index < 0 || index >= a.width) throw new FeaturescopeError('invalid_input', `index: unit ${index} is outside [0, ${a.width}) at ${hook}`, 'index');
  const valuesA = column(a.x, a.width, index);
  const valuesB = column(b.x, b.width, index);
  return { ...pairedTTest(valuesA, valuesB), valuesA, valuesB };
}
