// The sae.analyze job: an SAE run inside its model over a corpus, its features written to the catalog.
import type { CommandDeps, JobHandlers } from '../handlers/registry';
import { allowedCorpus } from '../handlers/workspace';
import { saeModelRow } from '../sae/sae-model';
import { analyzeSae } from './analyze';

export function analysisCommands({ services, models }: CommandDeps): { jobs: Pick<JobHandlers, 'sae.analyze'> } {
  return {
    jobs: {
      'sae.analyze': async (input, ctx) => {
        const corpus = allowedCorpus(services, input.corpus, ctx.caller);
        const catalog = services.catalog();
        const row = saeModelRow(catalog, input.saeId, input.model, 'saeId');
        const model = await models.get(row.modelDir);
        const result = await analyzeSae(
          {
            modelDir: model.dir,
            saePath: row.path,
            corpus,
            contextLength: input.contextLength ?? Math.min(128, model.config.maxPositions ?? 128),
            ...(input.maxTokens === undefined ? {} : { maxTokens: input.maxTokens }),
            topExamples: input.topExamples,
            seed: input.seed,
            saeId: input.saeId,
            corpusId: null,
          },
          catalog,
          ctx,
          { model },
        );
        return {
          analysisId: result.analysisId,
          features: result.features,
          tokens: result.tokens,
          deadFeatures: result.deadFeatures,
          heldOutWindows: result.heldOutWindows,
          heldOutTokens: result.heldOutTokens,
        };
      },
    },
  };
}
