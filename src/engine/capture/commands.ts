// Commands of activation captures: capture.start (a job) and capture.list.
import { join } from 'node:path';
import { ensureDataFolder } from '../../node/paths';
import { allowedCorpus } from '../handlers/workspace';
import type { CallHandlers, CommandDeps, JobHandlers } from '../handlers/registry';
import { rememberModelOf } from '../session/remember-model';
import { captureActivations } from './capture-job';
import { writeCaptureInfo } from './capture-info';
import { listCaptures } from './list-captures';
import { ActivationStore } from './store';

export function captureCommands({ services, models }: CommandDeps): { calls: Pick<CallHandlers, 'capture.list'>; jobs: Pick<JobHandlers, 'capture.start'> } {
  const activationsDir = (...parts: string[]) => join(services.paths.workspace, 'activations', ...parts);
  return {
    calls: {
      'capture.list': () => ({ captures: listCaptures(activationsDir()) }),
    },
    jobs: {
      'capture.start': async (input, ctx) => {
        // Before any folder is made: a browser reads corpora only from the workspace's corpus folders.
        const corpus = allowedCorpus(services, input.corpus, ctx.caller);
        const dir = activationsDir(input.name);
        // The capture's own folder is made once the corpus has passed its checks (an empty one leaves none).
        ensureDataFolder(activationsDir());
        const model = await models.get(input.model);
        // Captured from means remembered: an SAE trained on this capture links to the model's row.
        rememberModelOf(services, model);
        const result = await captureActivations(
          {
            modelDir: model.dir,
            corpus,
            hooks: input.hooks,
            outDir: dir,
            bos: input.bos,
            maskSpecialTokens: input.maskSpecialTokens,
            dtype: input.dtype,
            batchSize: input.batchSize,
            ...(input.contextLength === undefined ? {} : { contextLength: input.contextLength }),
            ...(input.maxTokens === undefined ? {} : { maxTokens: input.maxTokens }),
          },
          ctx,
          { model },
        );
        const first = result.stores[0] ? ActivationStore.open(result.stores[0].storeDir) : null;
        writeCaptureInfo(dir, { modelDir: model.dir, corpus, corpusSha256: first?.manifest.corpus.sha256 ?? null });
        return { dir, tokens: result.tokens, stores: result.stores };
      },
    },
  };
}
