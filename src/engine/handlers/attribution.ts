import { logExperiment } from '../../catalog';
import type { AttributionInput } from '../../shared/contract';
import { FeaturescopeError } from '../../shared/errors';
import { appVersion } from '../../main/host/versions';
import { attribute, deltaPatch, rankUnits, verifyAttribution, type AttributionMetric, type AttributionSite } from '../attribution';
import type { LoadedModel } from '../model';
import type { ModelCache } from '../models/model-cache';
import type { SaeCache } from '../models/sae-cache';
import type { EngineServices } from '../services';
import type { CallHandlers } from './registry';

/** A metric token given as text must be exactly one token of this model's vocabulary. */
function tokenId(model: LoadedModel, ref: string | number, field: string): number {
  if (typeof ref === 'number') return ref;
  const ids = model.tokenizer.encode(ref, { addSpecialTokens: false });
  if (ids.length !== 1) {
    throw new FeaturescopeError('invalid_input', `${field}: "${ref}" is ${ids.length} tokens for this model (${ids.map((id) => JSON.stringify(model.tokenizer.decode([id]))).join(' ')}); give one token or its id.`, field);
  }
  return ids[0]!;
}

/** The contract's metric and site, resolved against a model (token texts → ids, SAE ids → loaded SAEs). */
function resolveMetric(model: LoadedModel, m: AttributionInput['metric']): AttributionMetric {
  return m.kind === 'logprob' ? { kind: 'logprob', token: tokenId(model, m.token, 'metric.token') } : { kind: 'logit-diff', tokenA: tokenId(model, m.tokenA, 'metric.tokenA'), tokenB: tokenId(model, m.tokenB, 'metric.tokenB') };
}

export function attributionHandlers(services: EngineServices, models: ModelCache, saes: SaeCache): Pick<CallHandlers, 'attribution.run' | 'attribution.patch'> {
  const resolveSite = (site: AttributionInput['site']): AttributionSite =>
    site.kind === 'neurons' ? { kind: 'neurons', ...(site.layers ? { layers: site.layers } : {}) } : { kind: 'sae', sae: saes.get(services.catalog(), site.saeId, 'site.saeId') };
  const log = (kind: 'attribution', saeId: number | null, inputs: Record<string, unknown>, outputs: Record<string, unknown>) => {
    const experiment = logExperiment(services.catalog(), { kind, saeId, inputs, seed: null, outputs, appVersion: appVersion(services.paths.appRoot) });
    services.catalogChanged(['experiments']);
    return experiment;
  };

  return {
    'attribution.patch': async (input) => {
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
      const outputs = {
        units: result.units.map((u) => ({ hook: u.hook, index: u.index, deltas: u.deltas })),
        source: dist(result.source),
        before: dist(result.before),
        after: dist(result.after),
        klAfterBefore: result.klAfterBefore,
        klSourceBefore: result.klSourceBefore,
        klSourceAfter: result.klSourceAfter,
        metric: result.metric,
      };
      return { experiment: log('attribution', input.site.kind === 'sae' ? input.site.saeId : null, input, outputs), ...outputs };
    },

    'attribution.run': async (input: AttributionInput) => {
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
      const outputs = {
        metricClean: result.metricClean,
        units,
        verification: verification && { spearman: verification.spearman, pearson: verification.pearson, signAgreement: verification.signAgreement, forwards: verification.forwards },
      };
      return { experiment: log('attribution', input.site.kind === 'sae' ? input.site.saeId : null, input, outputs), ...outputs };
    },
  };
}
