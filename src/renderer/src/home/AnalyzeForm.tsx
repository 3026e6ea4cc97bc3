import { useState } from 'react';
import type { CommandInput, JobInfo, ModelInfo, SaeSummary } from '@shared/contract';
import { Field, FormError, numberOrUndefined } from '../ui/forms';
import { busyMessage, runningWriterOf, useJobStart } from '../jobs/useJobStart';
import { CorpusFields, corpusSpec, type CorpusDraft } from './CorpusFields';

const FIELDS = ['corpus', 'model', 'maxTokens', 'saeId'];

/** sae.analyze: densities, histograms, top examples and logit effects of every feature, over a corpus. */
export function AnalyzeForm({ sae, models, jobs, onStarted }: { sae: SaeSummary; models: ModelInfo[]; jobs: JobInfo[]; onStarted: (jobId: string) => void }) {
  const trainedOn = sae.trainedOn ?? undefined;
  const [corpus, setCorpus] = useState<CorpusDraft>({ path: '', kind: 'txt' });
  const [model, setModel] = useState(models.some((m) => m.path === trainedOn) ? '' : (models[0]?.path ?? ''));
  const [maxTokens, setMaxTokens] = useState('20000');
  const { action, running, start } = useJobStart('sae.analyze', jobs, `featurescope.home.analyze.${sae.id}.job`, onStarted);
  const input = (): CommandInput<'sae.analyze'> => ({ saeId: sae.id, corpus: corpusSpec(corpus), ...(model ? { model } : {}), maxTokens: numberOrUndefined(maxTokens) });
  // One analysis of an SAE at a time: the engine refuses a second (writer lease); the form says so first.
  const writer = runningWriterOf(jobs, 'sae.analyze', { saeId: sae.id });
  return (
    <form
      className="form-grid nested"
      aria-label={`Analyse ${sae.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        void start(input);
      }}
    >
      <CorpusFields value={corpus} onChange={setCorpus} error={action.error} idPrefix="analyze" />
      <Field label="Model" field="model" error={action.error}>
        <select name="analyze-model" value={model} onChange={(e) => setModel(e.target.value)}>
          {trainedOn && models.some((m) => m.path === trainedOn) ? <option value="">the one it was trained on</option> : null}
          {models.map((m) => (
            <option key={m.path} value={m.path}>
              {m.name}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Max tokens" field="maxTokens" error={action.error}>
        <input name="analyze-max-tokens" inputMode="numeric" value={maxTokens} onChange={(e) => setMaxTokens(e.target.value)} />
      </Field>
      <div className="form-actions">
        <button className="btn primary" type="submit" disabled={action.busy || running || writer !== undefined} aria-busy={running || writer !== undefined}>
          {running || writer ? 'Analysing…' : 'Analyse'}
        </button>
      </div>
      {writer ? <p className="muted form-note">{busyMessage(writer)}</p> : null}
      <FormError error={action.error} fields={FIELDS} />
    </form>
  );
}
