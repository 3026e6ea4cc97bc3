// Attribution rankings and delta patches as the contract asks for them and the experiment log
// keeps them: the outputs a run logs, and the comparison of a replay with what was logged.
import { z } from 'zod';
import type { AttributionInput, PatchInput } from '../../shared/contract';
import { FeaturescopeError } from '../../shared/errors';
import type { LoadedModel } from '../model';
import { attribute, deltaPatch, differenceMetricOf, logprobMetricOf, rankUnits, verifyAttribution, type AttributionMetric, type AttributionSite } from './index';

/** The contract's metric, resolved against a model (targets → ids) for reading after `prompt`. */
function resolveMetric(model: LoadedModel, m: AttributionInput['metric'], prompt: string): AttributionMetric {
  const ctx = { tokenizer: model.tokenizer, vocabSize: model.config.vocabSize, prompts: [prompt] };
  return m.kind === 'logprob' ? logprobMetricOf(m.token, 'metric.token', ctx) : differenceMetricOf(m.tokenA, m.tokenB, ['metric.tokenA', 'metric.tokenB'], ctx);
}

/** The delta patch and what it logs (and returns). */
export function patchOutputs(model: LoadedModel, input: z.infer<typeof PatchInput>, site: AttributionSite) {
  const result = deltaPatch(model, {
    sourceTokens: model.tokenizer.encode(input.sourcePrompt),
    targetTokens: model.tokenizer.encode(input.targetPrompt),
    site,
    ...(input.sourcePositions ? { sourcePositions: input.sourcePositions } : {}),
    ...(input.targetPositions ? { targetPositions: input.targetPositions } : {}),
    topN: input.topN,
    scale: input.scale,
    ...(input.metric ? { metric: resolveMetric(model, input.metric, input.targetPrompt) } : {}),
    topK: input.topK,
  });
  const text = (id: number) => model.tokenizer.decode([id]);
  const dist = (list: typeof result.before) => list.map((t) => ({ id: t.token, text: text(t.token), prob: t.prob }));
  return {
    units: result.units.map((u) => ({ hook: u.hook, index: u.index, deltas: u.deltas })),
    source: dist(result.source),
    before: dist(result.before),
    after: dist(result.after),
    klAfterBefore: result.klAfterBefore,
    klSourceBefore: result.klSourceBefore,
    klSourceAfter: result.klSourceAfter,
    metric: result.metric,
  };
}

/** The attribution ranking (verified when asked) and what it logs (and returns). */
export function rankOutputs(model: LoadedModel, input: AttributionInput, site: AttributionSite) {
  const tokens = model.tokenizer.encode(input.prompt);
  const patchTokens = input.patchPrompt === undefined ? undefined : model.tokenizer.encode(input.patchPrompt);
  if (patchTokens && patchTokens.length !== tokens.length) {
    throw new FeaturescopeError('invalid_input', `patchPrompt: it is ${patchTokens.length} tokens, the prompt ${tokens.length}; they must match position by position.`, 'patchPrompt');
  }
  const options = { tokens, ...(patchTokens ? { patchTokens } : {}), metric: resolveMetric(model, input.metric, input.prompt), site, method: input.method, steps: input.steps };
  const result = attribute(model, options);
  const verification = input.verify ? verifyAttribution(model, options, result, { topN: input.topN }) : null;
  const measured = new Map(verification?.units.map((u) => [`${u.hook}#${u.index}`, u.measured]) ?? []);
  const units = rankUnits(result, { topN: input.topN }).map((u) => ({ hook: u.hook, index: u.index, score: u.score, measured: measured.get(`${u.hook}#${u.index}`) ?? null }));
  return {
    metricClean: result.metricClean,
    units,
    verification: verification && { spearman: verification.spearman, pearson: verification.pearson, signAgreement: verification.signAgreement, forwards: verification.forwards },
  };
}

const TokenProbs = z.array(z.object({ id: z.number(), prob: z.number() }));
export const LoggedPatch = z.object({ after: TokenProbs, klAfterBefore: z.number() });
export const LoggedRank = z.object({ units: z.array(z.object({ hook: z.string(), index: z.number(), score: z.number() })) });

/** The patched target's top tokens in the same order with probabilities within 1e-5, and the same shift (KL) to 1e-4 relative. */
export function comparePatches(logged: z.infer<typeof LoggedPatch>, now: z.infer<typeof LoggedPatch>) {
  let reordered = 0, difference = 0;
  logged.after.forEach((t, i) => {
    const u = now.after[i];
    if (!u || u.id !== t.id) reordered++;
    else difference = Math.max(difference, Math.abs(u.prob - t.prob));
  });
  const klChange = Math.abs(now.klAfterBefore - logged.klAfterBefore) / Math.max(1e-12, Math.abs(logged.klAfterBefore));
  return {
    matches: reordered === 0 && difference < 1e-5 && klChange < 1e-4,
    difference,
    reordered,
    note: `Re-patched now: ${reordered} next token(s) moved, largest probability change ${difference.toPrecision(2)}`,
  };
}

/** Same units in the same order, and the largest score change relative to the largest |score|. */
export function compareRankings(logged: Array<{ hook: string; index: number; score: number }>, now: Array<{ hook: string; index: number; score: number }>) {
  const scale = Math.max(1e-12, ...logged.map((u) => Math.abs(u.score)));
  let reordered = 0, difference = 0;
  logged.forEach((u, i) => {
    const v = now[i];
    if (!v || v.hook !== u.hook || v.index !== u.index) reordered++;
    else difference = Math.max(difference, Math.abs(v.score - u.score) / scale);
  });
  if (now.length !== logged.length) reordered += Math.abs(now.length - logged.length);
  return {
    matches: reordered === 0 && difference < 1e-4,
    difference,
    reordered,
    note: `Re-ranked now: ${reordered} unit(s) moved, largest score change ${(difference * 100).toPrecision(2)}% of the top score`,
  };
}
