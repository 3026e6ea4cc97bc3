import type { JobInfo, ModelInfo } from '@shared/contract';
import { call } from '../api/client';
import { Field, FormError, useAction } from '../ui/forms';
import { CorpusFields, corpusSpec, type CorpusDraft } from './CorpusFields';
import { analysisGroup, evaluationGroup, trainingGroup, type FigureGroup } from '../ui/sae-figures';
import { SaeFigures } from '../ui/SaeFigures';
import { defaultHook, finishedResult, jobById, type AnalyzeResult, type CaptureResult, type TrainResult } from './jobResults';
import { JobLine } from './JobLine';
import { aboutModel } from './bundled-models';
import { useSessionState } from './useSessionState';

/** A few thousand tokens and a small topk SAE: minutes on a laptop, enough to see real features. */
const CAPTURE_TOKENS = 8000;
const TRAIN = { architecture: 'topk' as const, k: 16, steps: 500, batchSize: 256, widthPerDim: 4 };

interface Flow {
  /** The chosen model's folder (absent: the first choice, the default bundled model). */
  modelPath?: string;
  corpus: CorpusDraft;
  saeName: string;
  captureJob?: string;
  trainJob?: string;
  analyzeJob?: string;
  dismissed: boolean;
}

/** Shown until hidden while the workspace has no SAE, or while a path is under way (or a model was picked for one). */
export function gettingStartedVisible(flow: { dismissed: boolean; captureJob?: string; modelPath?: string }, saeCount: number): boolean {
  return !flow.dismissed && (saeCount === 0 || flow.captureJob !== undefined || flow.modelPath !== undefined);
}

export function useGetStartedFlow() {
  return useSessionState<Flow>('featurescope.home.getStarted', { corpus: { path: '', kind: 'txt' }, saeName: 'first-sae', dismissed: false });
}

/**
 * The first-run path: capture → train → analyse, prefilled for a bundled model (a choice when
 * several are bundled); each step opens when the one before finished.
 */
export function GetStarted({ choices, jobs, flow, setFlow, onOpenJobs, onOpenFeatures }: {
  /** The models offered, the default first. */
  choices: ModelInfo[];
  jobs: JobInfo[];
  flow: Flow;
  setFlow: (f: (prev: Flow) => Flow) => void;
  onOpenJobs: () => void;
  onOpenFeatures: () => void;
}) {
  const model = choices.find((m) => m.path === flow.modelPath) ?? choices[0]!;
  // Each model captures under its own name, so switching does not resume another model's store.
  const captureName = model === choices[0] ? 'getting-started' : `getting-started-${model.name}`;
  const hook = defaultHook(model.hookNames, model.nLayers);
  const dSae = TRAIN.widthPerDim * model.dModel;
  const capture = jobById(jobs, flow.captureJob);
  const train = jobById(jobs, flow.trainJob);
  const analyze = jobById(jobs, flow.analyzeJob);
  const captured = finishedResult<CaptureResult>(capture);
  const trained = finishedResult<TrainResult>(train);
  const analysed = analyze?.state === 'finished';
  const step1 = useAction();
  const step2 = useAction();
  const step3 = useAction();
  const busy = (j: JobInfo | undefined) => j?.state === 'running';

  const startCapture = async () => {
    const ref = await step1.run(() =>
      call('capture.start', { model: model.path, corpus: corpusSpec(flow.corpus), hooks: [hook], name: captureName, maxTokens: CAPTURE_TOKENS }),
    );
    if (ref) setFlow((f) => ({ ...f, captureJob: ref.jobId, trainJob: undefined, analyzeJob: undefined }));
  };
  const startTrain = async () => {
    const store = captured?.stores[0]?.storeDir ?? '';
    const ref = await step2.run(() =>
      call('sae.train', { store, name: flow.saeName.trim(), architecture: TRAIN.architecture, dSae, k: TRAIN.k, steps: TRAIN.steps, batchSize: TRAIN.batchSize }),
    );
    if (ref) setFlow((f) => ({ ...f, trainJob: ref.jobId, analyzeJob: undefined }));
  };
  const startAnalyze = async () => {
    if (!trained) return;
    const ref = await step3.run(() => call('sae.analyze', { saeId: trained.saeId, corpus: corpusSpec(flow.corpus), model: model.path, maxTokens: CAPTURE_TOKENS }));
    if (ref) setFlow((f) => ({ ...f, analyzeJob: ref.jobId }));
  };

  return (
    <section className="panel get-started" aria-label="Get started">
      <header className="panel-head">
        <h3>Get started</h3>
        <button type="button" className="link" onClick={() => setFlow((f) => ({ ...f, dismissed: true }))}>
          Hide
        </button>
      </header>
      <p className="muted intro">
        Three steps to a feature catalog for <span className="strong">{model.name}</span>: capture its activations over your text, train a small SAE on them, analyse the SAE.
      </p>
      {choices.length > 1 ? (
        <div className="start-models" role="radiogroup" aria-label="Model to start with">
          {choices.map((m) => (
            <label key={m.path} className="start-model">
              <input
                type="radio"
                name="start-model"
                checked={m.path === model.path}
                disabled={[capture, train, analyze].some(busy)}
                // A new model starts the path over: the steps done belong to the other one.
                onChange={() => setFlow((f) => ({ ...f, modelPath: m.path, captureJob: undefined, trainJob: undefined, analyzeJob: undefined }))}
              />
              <span className="strong">{m.name}</span> <span className="muted">{aboutModel(m)}</span>
            </label>
          ))}
        </div>
      ) : null}
      <ol className="steps">
        <li className={`step ${captured ? 'done' : ''}`} data-step="capture">
          <div className="step-title">1 · Capture {CAPTURE_TOKENS.toLocaleString()} tokens at <span className="mono">{hook}</span></div>
          <form
            className="form-row"
            aria-label="Step 1: capture"
            onSubmit={(e) => {
              e.preventDefault();
              void startCapture();
            }}
          >
            <CorpusFields value={flow.corpus} onChange={(corpus) => setFlow((f) => ({ ...f, corpus }))} error={step1.error} idPrefix="start" />
            <button className="btn primary" type="submit" disabled={step1.busy || busy(capture) || flow.corpus.path.trim() === ''}>
              Capture
            </button>
            <FormError error={step1.error} fields={['corpus']} />
          </form>
          <JobLine job={capture} onOpenJobs={onOpenJobs} />
        </li>
        <li className={`step ${trained ? 'done' : ''} ${captured ? '' : 'locked'}`} data-step="train">
          <div className="step-title">
            2 · Train a topk SAE: d_sae {dSae}, k {TRAIN.k}, {TRAIN.steps} steps of {TRAIN.batchSize}
          </div>
          <form
            className="form-row"
            aria-label="Step 2: train"
            onSubmit={(e) => {
              e.preventDefault();
              void startTrain();
            }}
          >
            <Field label="SAE name" field="name" error={step2.error}>
              <input name="start-sae-name" value={flow.saeName} onChange={(e) => setFlow((f) => ({ ...f, saeName: e.target.value }))} aria-invalid={step2.error?.field === 'name'} />
            </Field>
            <button className="btn primary" type="submit" disabled={!captured || step2.busy || busy(train)}>
              Train
            </button>
            <FormError error={step2.error} fields={['name']} />
          </form>
          <JobLine job={train} onOpenJobs={onOpenJobs} />
          {trained ? <TrainedFigures trained={trained} dSae={dSae} analysed={finishedResult<AnalyzeResult>(analyze)} /> : null}
        </li>
        <li className={`step ${analysed ? 'done' : ''} ${trained ? '' : 'locked'}`} data-step="analyze">
          <div className="step-title">3 · Analyse it over the same corpus</div>
          <div className="form-row">
            <button className="btn primary" type="button" disabled={!trained || step3.busy || busy(analyze)} onClick={() => void startAnalyze()}>
              Analyse
            </button>
            {analysed ? (
              <button type="button" className="link" onClick={onOpenFeatures}>
                Open its features →
              </button>
            ) : null}
            <FormError error={step3.error} fields={[]} />
          </div>
          <JobLine job={analyze} onOpenJobs={onOpenJobs} />
        </li>
      </ol>
    </section>
  );
}

/**
 * The figures a new SAE is judged by, each line saying where it comes from: the last training
 * batch, the end-of-training evaluation (spliced into the model, over N tokens) and, once step 3
 * ran, the analysis's dead fraction.
 */
function TrainedFigures({ trained, dSae, analysed }: { trained: TrainResult; dSae: number; analysed: AnalyzeResult | undefined }) {
  const evaluation = trained.evaluation?.metrics;
  const analysis = analysed ? analysisGroup({ analysis_tokens: analysed.tokens, analysis_dead_fraction: analysed.features > 0 ? analysed.deadFeatures / analysed.features : 0 }) : null;
  const groups = [trainingGroup(trained.metrics, TRAIN.batchSize), evaluation ? evaluationGroup(evaluation, dSae, analysis === null) : null, analysis].filter((g): g is FigureGroup => g !== null);
  return (
    <div className="step-figures">
      <SaeFigures groups={groups} testId="trained-figures" />
      {!evaluation && trained.evaluationSkipped ? <p className="muted">no evaluation: {trained.evaluationSkipped}</p> : null}
    </div>
  );
}
