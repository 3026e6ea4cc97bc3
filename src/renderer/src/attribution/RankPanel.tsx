import { useState } from 'react';
import type { CommandInput, ModelInfo, SaeSummary } from '@shared/contract';
import { Field, FormError, numberOrUndefined } from '../ui/forms';
import { BusyBar, MetricFields, ModelField, SiteFields } from './fields';
import { EMPTY_METRIC, metricInput, siteInput, type MetricDraft, type SiteDraft } from './inputs';
import { RankResult } from './RankResult';
import { RunForm } from '../ui/RunForm';
import { useTimedRun, type TimedRun } from '../ui/useTimedRun';

type Method = CommandInput<'attribution.run'>['method'];
export type ShownRank = TimedRun<'attribution.run'>;

const FIELDS = ['model', 'prompt', 'patchPrompt', 'site', 'metric', 'method', 'steps', 'topN', 'verify'];

/** Rank MLP neurons or SAE features by delta × gradient for one metric, optionally verified by real patches. */
export function RankPanel({ models, saes, model, onModel, hidden }: { models: ModelInfo[]; saes: SaeSummary[]; model: ModelInfo | undefined; onModel: (path: string) => void; hidden: boolean }) {
  const [site, setSite] = useState<SiteDraft>({ kind: 'neurons', layers: '' });
  const [prompt, setPrompt] = useState('The cat sat on the mat because');
  const [patchPrompt, setPatchPrompt] = useState('');
  const [metric, setMetric] = useState<MetricDraft>({ ...EMPTY_METRIC, token: ' the' });
  const [method, setMethod] = useState<Method>('gradient');
  const [steps, setSteps] = useState('16');
  const [topN, setTopN] = useState('30');
  const [verify, setVerify] = useState(true);
  const { action, shown, run } = useTimedRun('attribution.run');

  const execute = async () => {
    if (!model) return;
    await run(() => ({
        model: model.path,
        prompt,
        ...(patchPrompt !== '' ? { patchPrompt } : {}),
        metric: metricInput(metric),
        site: siteInput(site),
        method,
        ...(method === 'integrated-gradients' ? { steps: numberOrUndefined(steps) } : {}),
        topN: numberOrUndefined(topN),
        verify,
    }));
  };

  return (
    <div className="at-panel" hidden={hidden}>
      <RunForm className="panel at-form" label="Rank units" busy={action.busy} onRun={() => void execute()}>
        <div className="at-row">
          <ModelField name="at-model" models={models} value={model?.path ?? ''} onChange={onModel} error={action.error} />
          <SiteFields name="at" site={site} onChange={setSite} model={model} saes={saes} error={action.error} />
        </div>
        <div className="at-prompts">
          <Field label="Prompt" field="prompt" error={action.error} wide>
            <textarea name="at-prompt" rows={2} value={prompt} onChange={(e) => setPrompt(e.target.value)} aria-invalid={action.error?.field === 'prompt'} />
          </Field>
          <Field label="Patch prompt (optional)" field="patchPrompt" error={action.error} wide>
            <textarea
              name="at-patch-prompt"
              rows={2}
              value={patchPrompt}
              placeholder="blank: each unit is zero-ablated"
              onChange={(e) => setPatchPrompt(e.target.value)}
              aria-invalid={action.error?.field === 'patchPrompt'}
              aria-describedby="at-patch-hint"
            />
          </Field>
        </div>
        <p className="muted at-hint" id="at-patch-hint">
          A unit’s effect is estimated as if its activation on the prompt were replaced: by zero, or by its activation on the patch prompt, position by position — so the patch prompt must have exactly as many tokens as the prompt (swap one word for another of the same token length).
        </p>
        <div className="at-row">
          <MetricFields name="at" metric={metric} onChange={(m) => m && setMetric(m)} error={action.error} />
          <Field label="Method" field="method" error={action.error}>
            <select name="at-method" value={method} onChange={(e) => setMethod(e.target.value as Method)}>
              <option value="gradient">gradient (one backward)</option>
              <option value="integrated-gradients">integrated gradients</option>
            </select>
          </Field>
          {method === 'integrated-gradients' ? (
            <Field label="Steps" field="steps" error={action.error}>
              <input name="at-steps" className="at-num" inputMode="numeric" value={steps} onChange={(e) => setSteps(e.target.value)} />
            </Field>
          ) : null}
          <Field label="Top N" field="topN" error={action.error}>
            <input name="at-top-n" className="at-num" inputMode="numeric" value={topN} onChange={(e) => setTopN(e.target.value)} />
          </Field>
          <label className="at-check" title="Patch each of the top N for real and compare the measured change with the score">
            <input type="checkbox" name="at-verify" checked={verify} onChange={(e) => setVerify(e.target.checked)} />
            Verify
          </label>
          <span className="grow" />
          {action.busy ? <BusyBar label={verify ? 'Ranking and verifying' : 'Ranking'} /> : null}
          <button className="btn primary" type="submit" disabled={!model || action.busy} title="Ctrl+Enter">
            {action.busy ? 'Ranking…' : 'Rank'}
          </button>
        </div>
        <FormError error={action.error} fields={FIELDS} />
      </RunForm>
      {shown ? (
        <section className="panel" aria-label="Attribution result">
          <RankResult shown={shown} />
        </section>
      ) : (
        <div className="empty at-empty">
          <h2>Which units move this metric?</h2>
          <p>Attribution patching scores every MLP neuron (or SAE feature) by delta × gradient: one forward and one backward estimate what replacing it would do to the metric. Tick verify to patch the top N for real and see how good the estimate was. Ctrl+Enter runs.</p>
        </div>
      )}
    </div>
  );
}
