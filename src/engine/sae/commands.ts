// Commands of SAEs: sae.train (a job: train-job.ts), sae.evaluate (a job), sae.import.
import { join, resolve } from 'node:path';
import { insertSae } from '../../catalog';
import { appVersion } from '../../node/versions';
import { windowSettingsFor } from '../capture/model-windows';
import type { CallHandlers, CommandDeps, JobHandlers } from '../handlers/registry';
import { evaluateAndStore } from './evaluate-on-corpus';
import { loadSae } from './io/loadSae';
import { saveSaeLens } from './io/saelens';
import { refuseTakenName } from './names';
import { saeModelRow } from './sae-model';
import { runTrainJob } from './train-job';

export function saeCommands(deps: CommandDeps): { calls: Pick<CallHandlers, 'sae.import'>; jobs: Pick<JobHandlers, 'sae.train' | 'sae.evaluate'> } {
  const { services, models, saes } = deps;
  const workspaceDir = (...parts: string[]) => join(services.paths.workspace, ...parts);

  return {
    jobs: {
      'sae.evaluate': async (input, ctx) => {
        const row = saeModelRow(services.catalog(), input.saeId, input.model, 'saeId');
        const model = await models.get(row.modelDir);
        const sae = saes.get(services.catalog(), input.saeId, 'saeId');
        const settings = windowSettingsFor(model, { ...(input.contextLength === undefined ? {} : { contextLength: input.contextLength }) });
        const { metrics, densityHistogram } = await evaluateAndStore(services, row.name, input.saeId, model, sae, input.corpus, settings, input.windows, ctx);
        return { metrics, densityHistogram };
      },

      'sae.train': (input, ctx) => runTrainJob(deps, input, ctx),
    },

    calls: {
      'sae.import': ({ path, name, hookName, modelName }) => {
        refuseTakenName(services.catalog(), name);
        const names = hookName && modelName ? { hookName, modelName } : undefined;
        const sae = loadSae(resolve(path), names);
        try {
          // The workspace keeps its own SAELens copy: the catalog never points at a file the user may move.
          const saeDir = workspaceDir('saes', name);
          saveSaeLens(saeDir, sae);
          const cfg = sae.cfg;
          const saeId = insertSae(services.catalog(), {
            name,
            // An imported SAE names its model (cfg metadata.model_name), not a folder of this machine.
            modelId: null,
            hookName: cfg.metadata.hook_name,
            architecture: cfg.architecture,
            dIn: cfg.d_in,
            dSae: cfg.d_sae,
            cfg: { ...cfg, importedFrom: resolve(path) },
            metrics: {},
            provenance: { model: cfg.metadata.model_name, hook: cfg.metadata.hook_name, corpus: null, seed: null, appVersion: appVersion(services.paths.appRoot), createdAt: Date.now() },
            weightsPath: saeDir,
          });
          services.catalogChanged(['saes']);
          return { saeId, architecture: cfg.architecture, dIn: cfg.d_in, dSae: cfg.d_sae, hookName: cfg.metadata.hook_name };
        } finally {
          sae.dispose();
        }
      },
    },
  };
}
