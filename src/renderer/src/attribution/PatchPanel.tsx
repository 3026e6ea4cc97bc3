import { useState } from 'react';
import type { ModelInfo, SaeSummary } from '@shared/contract';
import { Field, FormError, numberOrUndefined } from '../ui/forms';
import { BusyBar, MetricFields, ModelField, SiteFields } from './fields';
import { metricInput, siteInput, type MetricDraft, type SiteDraft } from './inputs';
import { PatchResult } from './PatchResult';
import { RunForm } from '../ui/RunForm';
import { useTimedRun, type TimedRun } from '../ui/useTimedRun';

export type ShownPatch = TimedRun<'attribution.patch'>;

const FIELDS = ['model', 'sourcePrompt', 'targetPrompt', 'site', 'topN', 'scale', 'metric', 'sourcePositions', 'targetPositions'];

/** Copy the largest unit deltas of a source prompt into a target prompt and watch its prediction move. */
export function PatchPanel({ models, saes, model, onModel, hidden }: { models: ModelInfo[]; saes: SaeSummary[]; model: ModelInfo | undefined; onModel: (path: string) => void; hidden: boolean }) {
  const [site, setSite] = useState<SiteDraft>({ kind: 'neurons', layers: '' });
  const [source, setSource] = useState('The dog sat on the');
  const [target, setTarget] = useState('The cat sat on the');
  const [topN, setTopN] = useState('20');
  const [scale, setScale] = useState('1');
  const [metric, setMetric] = useState<MetricDraft | null>(null);
  const { action, shown, run } = useTimedRun('attribution.patch');

  const execute = async () => {
    if (!model) return;
    await run(() => ({
        model: model.path,
        sourcePrompt: source,
        targetPrompt: target,
        site: siteInput(site),
        topN: numberOrUndefined(topN),
        scale: numberOrUndefined(scale),
        ...(metric ? { metric: metricInput(metric) } : {}),
    }));
  };

  return (
    <div className="at-panel" hidden={hidden}>
      <RunForm className="panel at-form" label="Patch between prompts" busy={action.busy} onRun={() => void execute()}>
        <div className="at-row">
          <ModelField name="pt-model" models={models} value={model?.path ?? ''} onChange={onModel} error={action.error} />
          <SiteFields name="pt" site={site} onChange={setSite} model={model} saes={saes} error={action.error} />
        </div>
        <div className="at-prompts">
          <Field label="Source prompt (activations copied from)" field="sourcePrompt" error={action.error} wide>
            <textarea name="pt-source" rows={2} value={source} onChange={(e) => setSource(e.target.value)} aria-invalid={action.error?.field === 'sourcePrompt'} />
          </Field>
          <Field label="Target prompt (patched)" field="targetPrompt" error={action.error} wide>
            <textarea name="pt-target" rows={2} value={target} onChange={(e) => setTarget(e.target.value)} aria-invalid={action.error?.field === 'targetPrompt'} />
          </Field>
        </div>
        <p className="muted at-hint">
          At the last position, each of the top N units by |source − target| is moved by scale × (source − target): at scale 1 it takes the source’s value. The prompts may differ in length. Several layers’ deltas add as if independent: pick one layer to move one step of the computation.
        </p>
        <div className="at-row">
          <Field label="Top N" field="topN" error={action.error}>
            <input name="pt-top-n" className="at-num" inputMode="numeric" value={topN} onChange={(e) => setTopN(e.target.value)} />
          </Field>
          <Field label="Scale" field="scale" error={action.error}>
            <input name="pt-scale" className="at-num" inputMode="decimal" value={scale} onChange={(e) => setScale(e.target.value)} />
          </Field>
          <MetricFields name="pt" metric={metric} onChange={setMetric} error={action.error} optional />
          <span className="grow" />
          {action.busy ? <BusyBar label="Patching" /> : null}
          <button className="btn primary" type="submit" disabled={!model || action.busy} title="Ctrl+Enter">
            {action.busy ? 'Patching…' : 'Patch'}
          </button>
        </div>
        <FormError error={action.error} fields={FIELDS} />
      </RunForm>
      {shown ? (
        <section className="panel" aria-label="Patch result">
          <PatchResult shown={shown} />
        </section>
      ) : (
        <div className="empty at-empty">
          <h2>Move one prompt’s prediction toward another’s</h2>
          <p>Delta patching copies the units that differ most between a source and a target prompt into the target’s run, then shows the three next-token distributions side by side. Ctrl+Enter runs.</p>
        </div>
      )}
    </div>
  );
}
