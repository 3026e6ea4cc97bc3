import { z } from 'zod';
import { getExperiment, logExperiment } from '../../catalog';
import { AttributionInput, PatchInput } from '../../shared/contract';
import { FeaturescopeError } from '../../shared/errors';
import { appVersion } from '../../node/versions';
import { attribute, deltaPatch, rankUnits, singleTokenId, verifyAttribution, type AttributionMetric, type AttributionSite } from '../attribution';
import type { LoadedModel } from '../model';
import type { ModelCache } from '../session/model-cache';
import type { SaeCache } from '../session/sae-cache';
import type { EngineServices } from '../services';
import type { CallHandlers } from './registry';

/** The contract's metric and site, resolved against a model (token texts → ids, SAE ids → loaded SAEs). */
function resolveMetric(model: LoadedModel, m: AttributionInput['metric']): AttributionMetric {
  return m.kind === 'logprob' ? { kind: 'logprob', token: singleTokenId(model.tokenizer, m.token, 'metric.token') } : { kind: 'logit-diff', tokenA: singleTokenId(model.tokenizer, m.tokenA, 'metric.tokenA'), tokenB: singleTokenId(model.tokenizer, m.tokenB, 'metric.tokenB') };
}

export function attributionHandlers(services: EngineServices, models: ModelCache, saes: SaeCache): Pick<CallHandlers, 'attribution.run' | 'attribution.patch' | 'attribution.replay'> {
  const resolveSite = (site: AttributionInput['site']): AttributionSite =>
    site.kind === 'neurons' ? { kind: 'neurons', ...(site.layers ? { layers: site.layers } : {}) } : { kind: 'sae', sae: saes.get(services.catalog(), site.saeId, 'site.saeId') };
  const log = (kind: 'attribution', saeId: number | null, inputs: Record<string, unknown>, outputs: Record<string, unknown>) => {
    const experiment = logExperiment(services.catalog(), { kind, saeId, inputs, seed: null, outputs, appVersion: appVersion(services.paths.appRoot) });
    services.catalogChanged(['experiments']);
    return experiment;
  };

  /** The delta patch and what it logs (and returns), without logging. */
  async function patchOutputs(input: z.infer<typeof PatchInput>) {
    const model = await models.get(input.model);
    const result = deltaPatch(model, {
      sourceTokens: model.tokenizer.encode(input.sourcePrompt),
      targetTokens: model.tokenizer.encode(input.targetPrompt),
      site: resolveSite(input.site),
      ...(input.sourcePositions ? { sourcePositions: input.sourcePositions } : {}),
      ...(input.targetPositions ? { targetPositions: input.targetPositions } : {}),
      topN: input.topN,
      scale: input.scale,
      ...(input.metric ? { metric: resolveMetric(model, input.metric) } : {}),
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

  /** The attribution ranking (verified when asked) and what it logs, without logging. */
  async function rankOutputs(input: AttributionInput) {
    const model = await models.get(input.model);
    const tokens = model.tokenizer.encode(input.prompt);
    const patchTokens = input.patchPrompt === undefined ? undefined : model.tokenizer.encode(input.patchPrompt);
    if (patchTokens && patchTokens.length !== tokens.length) {
      throw new FeaturescopeError('invalid_input', `patchPrompt: it is ${patchTokens.length} tokens, the prompt ${tokens.length}; they must match position by position.`, 'patchPrompt');
    }
    const options = { tokens, ...(patchTokens ? { patchTokens } : {}), metric: resolveMetric(model, input.metric), site: resolveSite(input.site), method: input.method, steps: input.steps };
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

  const saeOf = (site: AttributionInput['site']) => (site.kind === 'sae' ? site.saeId : null);

  return {
    'attribution.patch': async (input) => {
      const outputs = await patchOutputs(input);
      return { experiment: log('attribution', saeOf(input.site), input, outputs), ...outputs };
    },

    'attribution.run': async (input: AttributionInput) => {
      const outputs = await rankOutputs(input);
      return { experiment: log('attribution', saeOf(input.site), input, outputs), ...outputs };
    },

    'attribution.replay': async ({ ref }) => {
      const logged = getExperiment(services.catalog(), ref);
      if (logged.kind !== 'attribution') throw new FeaturescopeError('unsupported', `${logged.citeId} is a ${logged.kind} experiment, not an attribution run.`, 'ref');
      const asPatch = PatchInput.safeParse(logged.inputs);
      if (asPatch.success) {
        const before = LoggedPatch.safeParse(logged.outputs);
        if (!before.success) throw new FeaturescopeError('bad_file', `${logged.citeId}: its logged outputs no longer parse as a delta patch.`, 'ref');
        const now = await patchOutputs(asPatch.data);
        return { replayOf: logged.citeId, of: 'attribution.patch' as const, ...comparePatches(before.data, now) };
      }
      const asRun = AttributionInput.safeParse(logged.inputs);
      const before = LoggedRank.safeParse(logged.outputs);
      if (!asRun.success || !before.success) throw new FeaturescopeError('bad_file', `${logged.citeId}: its logged inputs or outputs no longer parse as an attribution run.`, 'ref');
      const now = await rankOutputs({ ...asRun.data, verify: false });
      return { replayOf: logged.citeId, of: 'attribution.run' as const, ...compareRankings(before.data.units, now.units) };
    },
  };
}

const TokenProbs = z.array(z.object({ id: z.number(), prob: z.number() }));
const LoggedPatch = z.object({ after: TokenProbs, klAfterBefore: z.number() });
const LoggedRank = z.object({ units: z.array(z.object({ hook: z.string(), index: z.number(), score: z.number() })) });

/** The patched target's top tokens in the same order with probabilities within 1e-5, and the same shift (KL) to 1e-4 relative. */
function comparePatches(logged: z.infer<typeof LoggedPatch>, now: z.infer<typeof LoggedPatch>) {
  let reordered = 0, difference = 0;
  logged.after.forEach((t, i) => {
    const u = now.after[i];
    if (!u || u.id !== t.id) reordered++;
    else difference = Math.max(difference, Math.abs(u.prob - t.prob));
  });
  const klChange = Math.abs(now.klAfterBefore - logged.klAfterBefore) / Math.max(1e-12, Math.abs(logged.klAfterBefore));
  return { matches: reordered === 0 && difference < 1e-5 && klChange < 1e-4, difference, reordered };
}

/** Same units in the same order, and the largest score change relative to the largest |score|. */
function compareRankings(logged: Array<{ hook: string; index: number; score: number }>, now: Array<{ hook: string; index: number; score: number }>) {
  const scale = Math.max(1e-12, ...logged.map((u) => Math.abs(u.score)));
  let reordered = 0, difference = 0;
  logged.forEach((u, i) => {
    const v = now[i];
    if (!v || v.hook !== u.hook || v.index !== u.index) reordered++;
    else difference = Math.max(difference, Math.abs(v.score - u.score) / scale);
  });
  if (now.length !== logged.length) reordered += Math.abs(now.length - logged.length);
  return { matches: reordered === 0 && difference < 1e-4, difference, reordered };
}
