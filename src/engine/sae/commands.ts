// Commands of SAEs: sae.train (a job: train-job.ts), sae.evaluate (a job), sae.import, sae.rename and sae.delete (admin-commands.ts).
import { existsSync, rmSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { insertSae } from '../../catalog';
import { appVersion } from '../../node/versions';
import { windowSettingsFor } from '../capture/model-windows';
import type { CallHandlers, CommandDeps, JobHandlers } from '../handlers/registry';
import { allowedCorpus } from '../handlers/workspace';
import { FeaturescopeError } from '../../shared/errors';
import { evaluateAndStore } from './evaluate-on-corpus';
import { loadSae } from './io/loadSae';
import { CFG_FILE, saveSaeLens } from './io/saelens';
import { refuseTakenName } from './names';
import { saeModelRow } from './sae-model';
import { runTrainJob } from './train-job';
import { saeAdminCommands } from './admin-commands';

export function saeCommands(deps: CommandDeps): { calls: Pick<CallHandlers, 'sae.import' | 'sae.rename' | 'sae.delete'>; jobs: Pick<JobHandlers, 'sae.train' | 'sae.evaluate'> } {
  const { services, models, saes } = deps;
  const workspaceDir = (...parts: string[]) => join(services.paths.workspace, ...parts);

  return {
    jobs: {
      'sae.evaluate': async (input, ctx) => {
        const corpus = allowedCorpus(services, input.corpus, ctx.caller);
        const row = saeModelRow(services.catalog(), input.saeId, input.model, 'saeId');
        const model = await models.get(row.modelDir);
        const sae = saes.get(services.catalog(), input.saeId, 'saeId');
        const settings = windowSettingsFor(model, { ...(input.contextLength === undefined ? {} : { contextLength: input.contextLength }) });
        const { metrics, densityHistogram } = await evaluateAndStore(services, row.name, input.saeId, model, sae, corpus, settings, input.windows, ctx);
        return { metrics, densityHistogram };
      },

      'sae.train': (input, ctx) => runTrainJob(deps, input, ctx),
    },

    calls: {
      ...saeAdminCommands(deps),
      'sae.import': ({ path, name, hookName, modelName }) => {
        refuseTakenName(services.catalog(), name);
        // A params.npz does not say where it reads: refuse before anything is loaded or made.
        const npz = gemmaScopeFile(resolve(path));
        if (npz !== null && (hookName === undefined || modelName === undefined)) {
          const missing = hookName === undefined ? 'hookName' : 'modelName';
          throw new FeaturescopeError('invalid_input', `${npz}: a Gemma Scope params.npz does not record which model and hook it reads; pass --hook NAME (hookName, e.g. blocks.12.hook_resid_post) and --model-name NAME (modelName). Nothing was imported.`, missing);
        }
        const names = hookName && modelName ? { hookName, modelName } : undefined;
        const sae = loadSae(resolve(path), names);
        // The workspace keeps its own SAELens copy: the catalog never points at a file the user may move.
        const saeDir = workspaceDir('saes', name);
        const madeDir = !existsSync(saeDir);
        try {
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
        } catch (err) {
          // An import is all there or not there: no folder the catalog does not know.
          if (madeDir) rmSync(saeDir, { recursive: true, force: true });
          throw err;
        } finally {
          sae.dispose();
        }
      },
    },
  };
}

/** The params.npz an import path names (the file, or the one in a folder without cfg.json), else null. */
function gemmaScopeFile(path: string): string | null {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat?.isFile() && extname(path).toLowerCase() === '.npz') return path;
  if (stat?.isDirectory() && !existsSync(join(path, CFG_FILE)) && existsSync(join(path, 'params.npz'))) return join(path, 'params.npz');
  return null;
}
