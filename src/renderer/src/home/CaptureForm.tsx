import { useEffect, useState } from 'react';
import type { JobInfo, ModelInfo } from '@shared/contract';
import { call } from '../api/client';
import { Field, FormError, numberOrUndefined, useAction } from '../ui/forms';
import { CorpusFields, corpusSpec, type CorpusDraft } from './CorpusFields';
import { defaultHook, jobById } from './jobResults';
import { JobLine } from './JobLine';

const FIELDS = ['model', 'corpus', 'hooks', 'name', 'maxTokens'];

/** capture.start: one model, one corpus, one hook → an activation store to train SAEs on. */
export function CaptureForm({ models, jobs, onOpenJobs }: { models: ModelInfo[]; jobs: JobInfo[]; onOpenJobs: () => void }) {
  const [modelPath, setModelPath] = useState(models[0]?.path ?? '');
  const model = models.find((m) => m.path === modelPath) ?? models[0];
  const [corpus, setCorpus] = useState<CorpusDraft>({ path: '', kind: 'txt' });
  const [hook, setHook] = useState('');
  const [name, setName] = useState('capture-1');
  const [maxTokens, setMaxTokens] = useState('20000');
  const [jobId, setJobId] = useState<string>();
  const action = useAction();

  // A new model brings its own hook names: start from its middle residual stream.
  useEffect(() => {
    if (model && !model.hookNames.includes(hook)) setHook(defaultHook(model.hookNames, model.nLayers));
  }, [model, hook]);

  const submit = async () => {
    const ref = await action.run(() =>
      call('capture.start', { model: model?.path ?? '', corpus: corpusSpec(corpus), hooks: [hook], name: name.trim(), maxTokens: numberOrUndefined(maxTokens) }),
    );
    if (ref) setJobId(ref.jobId);
  };

  return (
    <form
      className="form-grid"
      aria-label="Capture activations"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <Field label="Model" field="model" error={action.error}>
        <select name="capture-model" value={model?.path ?? ''} onChange={(e) => setModelPath(e.target.value)}>
          {models.map((m) => (
            <option key={m.path} value={m.path}>
              {m.name}
            </option>
          ))}
        </select>
      </Field>
      <CorpusFields value={corpus} onChange={setCorpus} error={action.error} idPrefix="capture" />
      <Field label="Hook" field="hooks" error={action.error}>
        <select name="capture-hook" value={hook} onChange={(e) => setHook(e.target.value)}>
          {(model?.hookNames ?? []).map((h) => (
            <option key={h} value={h}>
              {h}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Name" field="name" error={action.error}>
        <input name="capture-name" value={name} onChange={(e) => setName(e.target.value)} aria-invalid={action.error?.field === 'name'} />
      </Field>
      <Field label="Max tokens" field="maxTokens" error={action.error}>
        <input name="capture-max-tokens" inputMode="numeric" value={maxTokens} onChange={(e) => setMaxTokens(e.target.value)} aria-invalid={action.error?.field === 'maxTokens'} />
      </Field>
      <div className="form-actions">
        <button className="btn primary" type="submit" disabled={action.busy || !model}>
          Capture
        </button>
        <JobLine job={jobById(jobs, jobId)} onOpenJobs={onOpenJobs} />
      </div>
      <FormError error={action.error} fields={FIELDS} />
    </form>
  );
}
