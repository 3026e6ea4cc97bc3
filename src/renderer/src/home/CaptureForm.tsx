import { useEffect } from 'react';
import type { CommandInput, JobInfo, ModelInfo } from '@shared/contract';
import { Field, FormError, numberOrUndefined } from '../ui/forms';
import { busyMessage, runningWriterOf, useJobStart } from '../jobs/useJobStart';
import { CorpusFields, corpusSpec, type CorpusDraft } from './CorpusFields';
import { defaultHook } from './jobResults';
import { JobLine } from './JobLine';
import { useSessionState } from './useSessionState';

const FIELDS = ['model', 'corpus', 'hooks', 'name', 'maxTokens'];
interface Draft {
  modelPath: string;
  corpus: CorpusDraft;
  hook: string;
  name: string;
  maxTokens: string;
}

/** capture.start: one model, one corpus, one hook → an activation store to train SAEs on. */
export function CaptureForm({ models, jobs, onOpenJobs }: { models: ModelInfo[]; jobs: JobInfo[]; onOpenJobs: () => void }) {
  // The fields and the started job survive a reload: the form comes back to its running job.
  const [draft, setDraft] = useSessionState<Draft>('featurescope.home.capture', { modelPath: models[0]?.path ?? '', corpus: { path: '', kind: 'txt' }, hook: '', name: 'capture-1', maxTokens: '20000' });
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));
  const model = models.find((m) => m.path === draft.modelPath) ?? models[0];
  const { action, job, running, start } = useJobStart('capture.start', jobs, 'featurescope.home.capture.job');

  // A new model brings its own hook names: start from its middle residual stream.
  useEffect(() => {
    if (model && !model.hookNames.includes(draft.hook)) setDraft((d) => ({ ...d, hook: defaultHook(model.hookNames, model.nLayers) }));
  }, [model, draft.hook, setDraft]);

  const input = (): CommandInput<'capture.start'> => ({
    model: model?.path ?? '',
    corpus: corpusSpec(draft.corpus),
    hooks: [draft.hook],
    name: draft.name.trim(),
    maxTokens: numberOrUndefined(draft.maxTokens),
  });
  const writer = running ? undefined : runningWriterOf(jobs, 'capture.start', { name: draft.name });

  return (
    <form
      className="form-grid"
      aria-label="Capture activations"
      onSubmit={(e) => {
        e.preventDefault();
        void start(input);
      }}
    >
      <Field label="Model" field="model" error={action.error}>
        <select name="capture-model" value={model?.path ?? ''} onChange={(e) => set({ modelPath: e.target.value })}>
          {models.map((m) => (
            <option key={m.path} value={m.path}>
              {m.name}
            </option>
          ))}
        </select>
      </Field>
      <CorpusFields value={draft.corpus} onChange={(corpus) => set({ corpus })} error={action.error} idPrefix="capture" />
      <Field label="Hook" field="hooks" error={action.error}>
        <select name="capture-hook" value={draft.hook} onChange={(e) => set({ hook: e.target.value })}>
          {(model?.hookNames ?? []).map((h) => (
            <option key={h} value={h}>
              {h}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Name" field="name" error={action.error}>
        <input name="capture-name" value={draft.name} onChange={(e) => set({ name: e.target.value })} />
      </Field>
      <Field label="Max tokens" field="maxTokens" error={action.error}>
        <input name="capture-max-tokens" inputMode="numeric" value={draft.maxTokens} onChange={(e) => set({ maxTokens: e.target.value })} />
      </Field>
      <div className="form-actions">
        <button className="btn primary" type="submit" disabled={action.busy || running || writer !== undefined || !model} aria-busy={running}>
          {running ? 'Capturing…' : 'Capture'}
        </button>
        <JobLine job={job} onOpenJobs={onOpenJobs} />
      </div>
      {writer ? <p className="muted form-note">{busyMessage(writer)}</p> : null}
      <FormError error={action.error} fields={FIELDS} />
    </form>
  );
}
