// The sae.train job: an SAE trained on a complete capture, saved in SAELens layout in the workspace,
// put in the catalog linked to the capture's model row, then evaluated on the capture's own model
// and corpus (capture.json) — a skipped or failed evaluation is reported, never fails the job.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { insertSae, modelIdByPath } from '../../catalog';
import { CorpusSpec, type ParsedInput } from '../../shared/contract';
import { FeaturescopeError } from '../../shared/errors';
import { appVersion } from '../../node/versions';
import { readCaptureInfo, type CaptureInfo } from '../capture/capture-info';
import { ShuffledActivationReader } from '../capture/shuffle-reader';
import { ActivationStore } from '../capture/store';
import { activationStoreFolder } from '../capture/store-folder';
import type { WindowSettings } from '../capture/windows';
import type { CommandDeps, JobHandlers } from '../handlers/registry';
import type { JobContext } from '../jobs/context';
import { evaluateAndStore } from './evaluate-on-corpus';
import { refuseTakenName } from './names';
import { saveSaeLens } from './io/saelens';
import { trainSae } from './train/trainer';

type TrainResult = Awaited<ReturnType<JobHandlers['sae.train']>>;

export async function runTrainJob(deps: CommandDeps, input: ParsedInput<'sae.train'>, ctx: JobContext): Promise<TrainResult> {
  const { services } = deps;
  const workspaceDir = (...parts: string[]) => join(services.paths.workspace, ...parts);
  const storeDir = activationStoreFolder(input.store);
  const store = ActivationStore.open(storeDir);
  const m = store.manifest;
  if (!m.complete) throw new FeaturescopeError('invalid_input', `${storeDir}: the capture is not complete; resume it first.`, 'store');
  const saeDir = workspaceDir('saes', input.name);
  refuseTakenName(services.catalog(), input.name);
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
    ...(input.matryoshkaWidths === undefined ? {} : { matryoshkaWidths: input.matryoshkaWidths.join(',') }),
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
    const catalog = services.catalog();
    const saeId = insertSae(catalog, {
      name: input.name,
      // capture.start remembered the model folder; a capture older than that has no row to link.
      modelId: info ? modelIdByPath(catalog, info.modelDir) : null,
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
    const evaluated = await evaluateAfterTraining(deps, saeId, input.name, info, m.window_settings, input.evalWindows, ctx);
    return { saeId, path: saeDir, status: result.status, step: result.step, resumedFromStep: result.resumedFromStep ?? null, settings: result.settings, metrics, ...evaluated };
  } finally {
    result.sae.dispose();
  }
}

/** The end-of-training evaluation on the capture's own model and corpus, or why it was skipped. */
async function evaluateAfterTraining({ services, models, saes }: CommandDeps, saeId: number, name: string, info: CaptureInfo | null, settings: WindowSettings, wanted: number, ctx: JobContext) {
  if (wanted === 0) return { evaluation: null, evaluationSkipped: 'evalWindows is 0' };
  const corpus = CorpusSpec.safeParse(info?.corpus);
  if (!info || !corpus.success) return { evaluation: null, evaluationSkipped: "the capture does not record its model and corpus (no capture.json): run sae.evaluate" };
  if (!existsSync(info.modelDir)) return { evaluation: null, evaluationSkipped: `the model folder ${info.modelDir} is not on this machine: run sae.evaluate with a model` };
  try {
    const model = await models.get(info.modelDir);
    const sae = saes.get(services.catalog(), saeId, 'saeId');
    const e = await evaluateAndStore(services, name, saeId, model, sae, corpus.data, settings, wanted, ctx);
    return { evaluation: { windows: e.windows, metrics: e.metrics }, evaluationSkipped: null };
  } catch (err) {
    // The SAE is trained and saved: a corpus that moved since the capture must not fail the job.
    return { evaluation: null, evaluationSkipped: `evaluation failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}
