// Commands of SAEs: sae.train and sae.evaluate (jobs), sae.import. Training links the SAE to the
// model row of the capture's model folder and ends with an evaluation on the capture's corpus.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { insertSae, modelIdByPath, saeNameTaken, updateSaeMetrics } from '../../catalog';
import { CorpusSpec } from '../../shared/contract';
import { FeaturescopeError } from '../../shared/errors';
import { appVersion } from '../../node/versions';
import { readCaptureInfo, type CaptureInfo } from '../capture/capture-info';
import { windowSettingsFor } from '../capture/model-windows';
import { ShuffledActivationReader } from '../capture/shuffle-reader';
import { ActivationStore } from '../capture/store';
import type { WindowSettings } from '../capture/windows';
import type { CallHandlers, CommandDeps, JobHandlers } from '../handlers/registry';
import type { JobContext } from '../jobs/context';
import type { LoadedModel } from '../model';
import { realFolder } from '../session/model-cache';
import { evaluateOnCorpus } from './evaluate-on-corpus';
import { loadSae } from './io/loadSae';
import { saveSaeLens } from './io/saelens';
import type { Sae } from './sae';
import { saeModelRow } from './sae-model';
import { trainSae } from './train/trainer';

export function saeCommands({ services, models, saes }: CommandDeps): { calls: Pick<CallHandlers, 'sae.import'>; jobs: Pick<JobHandlers, 'sae.train' | 'sae.evaluate'> } {
  const workspaceDir = (...parts: string[]) => join(services.paths.workspace, ...parts);
  const refuseTakenName = (name: string) => {
    if (saeNameTaken(services.catalog(), name)) throw new FeaturescopeError('invalid_input', `An SAE named "${name}" is already in the catalog; pick another name.`, 'name');
  };

  /** Evaluates and stores the figures with the SAE (SAELens names; other metrics are kept). */
  async function evaluateAndStore(name: string, saeId: number, model: LoadedModel, sae: Sae, corpus: CorpusSpec, settings: WindowSettings, wanted: number, ctx: JobContext) {
    const evaluation = await evaluateOnCorpus(name, model, sae, corpus, settings, wanted, ctx);
    updateSaeMetrics(services.catalog(), saeId, evaluation.metrics);
    services.catalogChanged(['saes']);
    return evaluation;
  }

  /** The end-of-training evaluation on the capture's own model and corpus, or why it was skipped. */
  async function evaluateAfterTraining(saeId: number, name: string, info: CaptureInfo | null, settings: WindowSettings, wanted: number, ctx: JobContext) {
    if (wanted === 0) return { evaluation: null, evaluationSkipped: 'evalWindows is 0' };
    const corpus = CorpusSpec.safeParse(info?.corpus);
    if (!info || !corpus.success) return { evaluation: null, evaluationSkipped: "the capture does not record its model and corpus (no capture.json): run sae.evaluate" };
    if (!existsSync(info.modelDir)) return { evaluation: null, evaluationSkipped: `the model folder ${info.modelDir} is not on this machine: run sae.evaluate with a model` };
    try {
      const model = await models.get(info.modelDir);
      const sae = saes.get(services.catalog(), saeId, 'saeId');
      const e = await evaluateAndStore(name, saeId, model, sae, corpus.data, settings, wanted, ctx);
      return { evaluation: { windows: e.windows, metrics: e.metrics }, evaluationSkipped: null };
    } catch (err) {
      // The SAE is trained and saved: a corpus that moved since the capture must not fail the job.
      return { evaluation: null, evaluationSkipped: `evaluation failed: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  return {
    jobs: {
      'sae.evaluate': async (input, ctx) => {
        const row = saeModelRow(services.catalog(), input.saeId, input.model, 'saeId');
        const model = await models.get(row.modelDir);
        const sae = saes.get(services.catalog(), input.saeId, 'saeId');
        const settings = windowSettingsFor(model, { ...(input.contextLength === undefined ? {} : { contextLength: input.contextLength }) });
        const { metrics, densityHistogram } = await evaluateAndStore(row.name, input.saeId, model, sae, input.corpus, settings, input.windows, ctx);
        return { metrics, densityHistogram };
      },

      'sae.train': async (input, ctx) => {
        const storeDir = realFolder(input.store);
        const store = ActivationStore.open(storeDir);
        const m = store.manifest;
        if (!m.complete) throw new FeaturescopeError('invalid_input', `${storeDir}: the capture is not complete; resume it first.`, 'store');
        const saeDir = workspaceDir('saes', input.name);
        refuseTakenName(input.name);
        const info = readCaptureInfo(storeDir);
        const meter = ctx.meter('steps', input.steps);
        const result = await trainSae({
          architecture: input.architecture,
          dIn: m.d_in,
          dSae: input.dSae,
          ...(input.k === undefined ? {} : { k: input.k }),
          hookName: m.hook,
          modelName: m.model.name,
          totalSteps: input.steps,
          batchSize: input.batchSize,
          seed: input.seed,
          data: new ShuffledActivationReader(store, { seed: input.seed }),
          ...(input.lr === undefined ? {} : { lr: input.lr }),
          ...(input.l1Coefficient === undefined ? {} : { l1Coefficient: input.l1Coefficient }),
          ...(input.l0Coefficient === undefined ? {} : { l0Coefficient: input.l0Coefficient }),
          // OpenAI's 10M-token window is longer than most runs here; a run that never reaches it would
          // call nothing dead and AuxK would never revive a latent.
          deadTokens: input.deadTokens ?? Math.min(10_000_000, Math.max(input.batchSize, Math.floor((input.steps * input.batchSize) / 10))),
          checkpointDir: workspaceDir('checkpoints', input.name),
          checkpointEvery: input.checkpointEvery,
          onMetrics: ({ step, ...metrics }) => meter.update(step, { metrics }),
          signal: ctx.signal,
        });
        try {
          if (result.status === 'cancelled') ctx.throwIfCancelled();
          saveSaeLens(saeDir, result.sae);
          const metrics = Object.fromEntries(Object.entries(result.lastMetrics ?? {}).filter(([k, v]) => k !== 'step' && Number.isFinite(v))) as Record<string, number>;
          const catalog = services.catalog();
          const saeId = insertSae(catalog, {
            name: input.name,
            // capture.start remembered the model folder; a capture older than that has no row to link.
            modelId: info ? modelIdByPath(catalog, info.modelDir) : null,
            hookName: m.hook,
            architecture: result.sae.cfg.architecture,
            dIn: m.d_in,
            dSae: input.dSae,
            cfg: { ...result.sae.cfg, training: { ...input, scale: result.scale } },
            metrics,
            provenance: {
              model: info?.modelDir ?? m.model.name,
              hook: m.hook,
              corpus: info?.corpusSha256 ?? m.corpus.sha256,
              seed: input.seed,
              appVersion: appVersion(services.paths.appRoot),
              createdAt: Date.now(),
            },
            weightsPath: saeDir,
          });
          services.catalogChanged(['saes']);
          const evaluated = await evaluateAfterTraining(saeId, input.name, info, m.window_settings, input.evalWindows, ctx);
          return { saeId, path: saeDir, status: result.status, step: result.step, resumedFromStep: result.resumedFromStep ?? null, metrics, ...evaluated };
        } finally {
          result.sae.dispose();
        }
      },
    },

    calls: {
      'sae.import': ({ path, name, hookName, modelName }) => {
        refuseTakenName(name);
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
