// An SAE spliced into its model over full windows of a corpus (sae.evaluate, and the end of
// sae.train): SAELens figures, with the token and prediction counts they were measured on.
import { updateSaeMetrics } from '../../catalog';
import type { CorpusSpec } from '../../shared/contract';
import { fullWindows } from '../capture/full-windows';
import type { WindowSettings } from '../capture/windows';
import type { JobContext } from '../jobs/context';
import type { LoadedModel } from '../model';
import type { EngineServices } from '../services';
import { evaluateSae, type DensityHistogram } from './eval';
import type { Sae } from './sae';

export interface CorpusEvaluation {
  /** What goes into the SAE's catalog metrics. */
  metrics: Record<string, number>;
  densityHistogram: DensityHistogram;
  windows: number;
}

export async function evaluateOnCorpus(name: string, model: LoadedModel, sae: Sae, corpus: CorpusSpec, settings: WindowSettings, wanted: number, ctx: JobContext): Promise<CorpusEvaluation> {
  const windows = await fullWindows(model, corpus, settings, wanted, ctx.signal);
  // The phase is named in the progress ("evaluating 3 / 32 windows"): its bar starts again at 0.
  const meter = ctx.meter('windows', windows.length);
  const message = `evaluating ${name}`;
  meter.update(0, { message, force: true });
  const { feature_density: _density, density_histogram, tokens, predictions, ...figures } = evaluateSae(model, sae, windows, { onBatch: (done) => meter.update(done, { message }) });
  return { metrics: { ...figures, eval_tokens: tokens, eval_predictions: predictions }, densityHistogram: density_histogram, windows: windows.length };
}

/** Evaluates and stores the figures with the SAE (SAELens names; its other metrics are kept). */
export async function evaluateAndStore(services: EngineServices, name: string, saeId: number, model: LoadedModel, sae: Sae, corpus: CorpusSpec, settings: WindowSettings, wanted: number, ctx: JobContext): Promise<CorpusEvaluation> {
  const evaluation = await evaluateOnCorpus(name, model, sae, corpus, settings, wanted, ctx);
  updateSaeMetrics(services.catalog(), saeId, evaluation.metrics);
  services.catalogChanged(['saes']);
  return evaluation;
}
