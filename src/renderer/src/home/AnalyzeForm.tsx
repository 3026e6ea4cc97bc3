import { useState } from 'react';
import type { ModelInfo, SaeSummary } from '@shared/contract';
import { call } from '../api/client';
import { Field, FormError, numberOrUndefined, useAction } from '../ui/forms';
import { CorpusFields, corpusSpec, type CorpusDraft } from './CorpusFields';

const FIELDS = ['corpus', 'model', 'maxTokens', 'saeId'];

/** sae.analyze: densities, histograms, top examples and logit effects of every feature, over a corpus. */
export function AnalyzeForm({ sae, models, onStarted }: { sae: SaeSummary; models: ModelInfo[]; onStarted: (jobId: string) => void }) {
  const trainedOn = sae.trainedOn ?? undefined;
  const [corpus, setCorpus] = useState<CorpusDraft>({ path: '', kind: 'txt' });
  const [model, setModel] = useState(models.some((m) => m.path === trainedOn) ? '' : (models[0]?.path ?? ''));
  const [maxTokens, setMaxTokens] = useState('20000');
  const action = useAction();
  const submit = async () => {
    const ref = await action.run(() =>
      call('sae.analyze', { saeId: sae.id, corpus: corpusSpec(corpus), ...(model ? { model } : {}), maxTokens: numberOrUndefined(maxTokens) }),
    );
    if (ref) onStarted(ref.jobId);
  };
  return (
    <form
      className="form-grid nested"
      aria-label={`Analyse ${sae.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
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
        <input name="analyze-max-tokens" inputMode="numeric" value={maxTokens} onChange={(e) => setMaxTokens(e.target.value)} aria-invalid={action.error?.field === 'maxTokens'} />
      </Field>
      <div className="form-actions">
        <button className="btn primary" type="submit" disabled={action.busy}>
          Analyse
        </button>
      </div>
      <FormError error={action.error} fields={FIELDS} />
    </form>
  );
}
