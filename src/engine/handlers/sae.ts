import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { insertSae, updateSaeMetrics } from '../../catalog';
import { FeaturescopeError } from '../../shared/errors';
import { appVersion } from '../../node/versions';
import { writeFileAtomic } from '../formats/atomic';
import { captureActivations } from '../capture/capture-job';
import { ActivationStore } from '../capture/store';
import { ShuffledActivationReader } from '../capture/shuffle-reader';
import { saveSaeLens } from '../sae/io/saelens';
import { loadSae } from '../sae/io/loadSae';
import { trainSae } from '../sae/train/trainer';
import { analyzeSae } from '../analysis/analyze';
import { readCorpus, scanCorpus } from '../capture/corpus';
import { listCaptures } from '../capture/list-captures';
import { windowSettingsFor } from '../capture/model-windows';
import { makeWindows, type WindowSettings } from '../capture/windows';
import type { JobContext } from '../jobs/context';
import type { LoadedModel } from '../model';
import type { Sae } from '../sae/sae';
import { CorpusSpec } from '../../shared/contract';
import { evaluateSae } from '../sae/eval';
import type { SaeCache } from '../session/sae-cache';
import { realFolder, type ModelCache } from '../session/model-cache';
import type { EngineServices } from '../services';
import type { CallHandlers, JobHandlers } from './registry';
import { saeModelRow } from './sae-model';

/** Written beside a capture so training and analysis know which model folder and corpus it came from. */
const CAPTURE_INFO = 'capture.json';
const CaptureInfo = z.object({ modelDir: z.string(), corpus: z.unknown(), corpusSha256: z.string().nullable() });

function readCaptureInfo(storeDir: string): z.infer<typeof CaptureInfo> | null {
  const path = resolve(storeDir, '..', CAPTURE_INFO);
  if (!existsSync(path)) return null;
  const parsed = CaptureInfo.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  return parsed.success ? parsed.data : null;
}

export function saeHandlers(services: EngineServices, models: ModelCache, saeCache: SaeCache): { calls: Pick<CallHandlers, 'sae.import' | 'capture.list'>; jobs: Pick<JobHandlers, 'capture.start' | 'sae.train' | 'sae.analyze' | 'sae.evaluate'> } {
  const workspaceDir = (...parts: string[]) => join(services.paths.workspace, ...parts);
  /** An SAE's catalog row and its model: the one given, else the one it was trained on if that folder is here. */
  async function saeAndModel(saeId: number, given: string | undefined) {
    const row = saeModelRow(services.catalog(), saeId, given, 'saeId');
    return { row, model: await models.get(row.modelDir) };
  }

  /** sae.evaluate's work, also run at the end of training: full windows of the corpus, figures stored with the SAE. */
  async function evaluateOnCorpus(name: string, saeId: number, model: LoadedModel, sae: Sae, corpus: CorpusSpec, settings: WindowSettings, wanted: number, ctx: JobContext) {
    const scan = await scanCorpus(corpus, { signal: ctx.signal });
    const windows: number[][] = [];
    const encode = (text: string) => model.tokenizer.encode(text, { addSpecialTokens: false });
    for (const w of makeWindows(readCorpus(corpus, scan), encode, settings)) {
      // Only full windows, so every batch has one length and positions mean the same everywhere.
      if (w.tokens.length === settings.contextLength) windows.push(w.tokens);
      if (windows.length === wanted) break;
    }
    if (windows.length === 0) throw new FeaturescopeError('invalid_input', `The corpus holds no full ${settings.contextLength}-token window.`, 'corpus');
    ctx.meter('windows', windows.length).update(0, { message: `evaluating ${name} on ${windows.length} windows`, force: true });
    const { feature_density: _density, density_histogram, tokens, predictions, ...figures } = evaluateSae(model, sae, windows);
    const metrics = { ...figures, eval_tokens: tokens, eval_predictions: predictions };
    updateSaeMetrics(services.catalog(), saeId, metrics);
    services.catalogChanged(['saes']);
    return { metrics, densityHistogram: density_histogram, windows: windows.length };
  }

  /** The end-of-training evaluation on the capture's own model and corpus, or why it was skipped. */
  async function evaluateAfterTraining(saeId: number, name: string, info: z.infer<typeof CaptureInfo> | null, settings: WindowSettings, wanted: number, ctx: JobContext) {
    if (wanted === 0) return { evaluation: null, evaluationSkipped: 'evalWindows is 0' };
    const corpus = CorpusSpec.safeParse(info?.corpus);
    if (!info || !corpus.success) return { evaluation: null, evaluationSkipped: "the capture does not record its model and corpus (no capture.json): run sae.evaluate" };
    if (!existsSync(info.modelDir)) return { evaluation: null, evaluationSkipped: `the model folder ${info.modelDir} is not on this machine: run sae.evaluate with a model` };
    try {
      const model = await models.get(info.modelDir);
      const sae = saeCache.get(services.catalog(), saeId, 'saeId');
      const e = await evaluateOnCorpus(name, saeId, model, sae, corpus.data, settings, wanted, ctx);
      return { evaluation: { windows: e.windows, metrics: e.metrics }, evaluationSkipped: null };
    } catch (err) {
      // The SAE is trained and saved: a corpus that moved since the capture must not fail the job.
      return { evaluation: null, evaluationSkipped: `evaluation failed: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  const nameTaken = (name: string) => services.catalog().statement('SELECT 1 FROM saes WHERE name = ?').get(name) !== undefined;

  return {
    jobs: {
      'capture.start': async (input, ctx) => {
        const dir = workspaceDir('activations', input.name);
        mkdirSync(dir, { recursive: true });
        const model = await models.get(input.model);
        const result = await captureActivations(
          {
            modelDir: model.dir,
            corpus: input.corpus,
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
        writeFileAtomic(join(dir, CAPTURE_INFO), JSON.stringify({ modelDir: model.dir, corpus: input.corpus, corpusSha256: first?.manifest.corpus.sha256 ?? null }, null, 2));
        return { dir, tokens: result.tokens, stores: result.stores };
      },

      'sae.evaluate': async (input, ctx) => {
        const { row, model } = await saeAndModel(input.saeId, input.model);
        const sae = saeCache.get(services.catalog(), input.saeId, 'saeId');
        const settings = windowSettingsFor(model, { ...(input.contextLength === undefined ? {} : { contextLength: input.contextLength }) });
        const { metrics, densityHistogram } = await evaluateOnCorpus(row.name, input.saeId, model, sae, input.corpus, settings, input.windows, ctx);
        return { metrics, densityHistogram };
      },

      'sae.analyze': async (input, ctx) => {
        const catalog = services.catalog();
        const { row, model } = await saeAndModel(input.saeId, input.model);
        const result = await analyzeSae(
          {
            modelDir: model.dir,
            saePath: row.path,
            corpus: input.corpus,
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
        return { analysisId: result.analysisId, features: result.features, tokens: result.tokens, deadFeatures: result.deadFeatures };
      },

      'sae.train': async (input, ctx) => {
        const storeDir = realFolder(input.store);
        const store = ActivationStore.open(storeDir);
        const m = store.manifest;
        if (!m.complete) throw new FeaturescopeError('invalid_input', `${storeDir}: the capture is not complete; resume it first.`, 'store');
        const saeDir = workspaceDir('saes', input.name);
        if (nameTaken(input.name)) throw new FeaturescopeError('invalid_input', `An SAE named "${input.name}" is already in the catalog; pick another name.`, 'name');
        const info = readCaptureInfo(storeDir);
        const meter = ctx.meter('steps', input.steps);
        const result = await trainSae({
          architecture: input.architecture,
          dIn: m.d_in,
          dSae: input.dSae,
          ...(input.k === undefined ? {} : { k: input.k }),
          hookName: m.hook,
          modelName: m.model.name,
          steps: input.steps,
          batchSize: input.batchSize,
          seed: input.seed,
          store: storeDir,
          data: new ShuffledActivationReader(store, { seed: input.seed }),
          ...(input.lr === undefined ? {} : { lr: input.lr }),
          ...(input.l1Coefficient === undefined ? {} : { l1Coefficient: input.l1Coefficient }),
          ...(input.l0Coefficient === undefined ? {} : { l0Coefficient: input.l0Coefficient }),
          ...(input.deadTokens === undefined ? {} : { deadTokens: input.deadTokens }),
          checkpointDir: workspaceDir('checkpoints', input.name),
          checkpointEvery: input.checkpointEvery,
          restart: input.restart,
          onMetrics: ({ step, ...metrics }) => meter.update(step, { metrics }),
          signal: ctx.signal,
        });
        try {
          if (result.status === 'cancelled') ctx.throwIfCancelled();
          saveSaeLens(saeDir, result.sae);
          const metrics = Object.fromEntries(Object.entries(result.lastMetrics ?? {}).filter(([k, v]) => k !== 'step' && Number.isFinite(v))) as Record<string, number>;
          const saeId = insertSae(services.catalog(), {
            name: input.name,
            modelId: null,
            hookName: m.hook,
            architecture: result.sae.cfg.architecture,
            dIn: m.d_in,
            dSae: input.dSae,
            // The settings the run used, defaults filled in (the input's fields are kept beside them).
            cfg: { ...result.sae.cfg, training: { ...input, ...result.settings, scale: result.scale } },
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
          return { saeId, path: saeDir, status: result.status, step: result.step, resumedFromStep: result.resumedFromStep ?? null, settings: result.settings, metrics, ...evaluated };
        } finally {
          result.sae.dispose();
        }
      },
    },

    calls: {
      'capture.list': () => ({ captures: listCaptures(workspaceDir('activations')) }),
      'sae.import': ({ path, name, hookName, modelName }) => {
        if (nameTaken(name)) throw new FeaturescopeError('invalid_input', `An SAE named "${name}" is already in the catalog; pick another name.`, 'name');
        const names = hookName && modelName ? { hookName, modelName } : undefined;
        const sae = loadSae(resolve(path), names);
        try {
          // The workspace keeps its own SAELens copy: the catalog never points at a file the user may move.
          const saeDir = workspaceDir('saes', name);
          saveSaeLens(saeDir, sae);
          const cfg = sae.cfg;
          const saeId = insertSae(services.catalog(), {
            name,
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
