import type { CommandInput, JobInfo, ModelInfo } from '@shared/contract';
import { parseFraction } from '@shared/fraction';
import { Field, FormError } from '../ui/forms';
import { busyMessage, runningWriterOf, useJobStart } from '../jobs/useJobStart';
import { CorpusFields, corpusSpec, type CorpusDraft } from './CorpusFields';
import { JobLine } from './JobLine';
import { useSessionState } from './useSessionState';

const FIELDS = ['corpus', 'name', 'model', 'dModel', 'layers', 'heads', 'steps', 'targetFraction', 'activationTopK'];
interface Draft {
  corpus: CorpusDraft;
  name: string;
  tokenizerModel: string;
  dModel: string;
  layers: string;
  heads: string;
  steps: string;
  targetFraction: string;
  activationTopK: string;
}

/** sparse.train: a weight-sparse GPT-2 trained from scratch on a corpus, with an opened model's tokenizer. */
export function SparseTrainForm({ models, jobs, onOpenJobs }: { models: ModelInfo[]; jobs: JobInfo[]; onOpenJobs: () => void }) {
  const [draft, setDraft] = useSessionState<Draft>('featurescope.home.sparse', {
    corpus: { path: '', kind: 'txt' },
    name: 'sparse-1',
    tokenizerModel: models.find((m) => m.bundled)?.path ?? models[0]?.path ?? '',
    dModel: '128',
    layers: '2',
    heads: '4',
    steps: '1000',
    targetFraction: '1/64',
    activationTopK: '',
  });
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));
  const { action, job, running, start } = useJobStart('sparse.train', jobs, 'featurescope.home.sparse.job');
  const input = (): CommandInput<'sparse.train'> => ({
    corpus: corpusSpec(draft.corpus),
    name: draft.name.trim(),
    ...(draft.tokenizerModel === '' ? {} : { model: draft.tokenizerModel }),
    dModel: Number(draft.dModel),
    layers: Number(draft.layers),
    heads: Number(draft.heads),
    steps: Number(draft.steps),
    targetFraction: parseFraction(draft.targetFraction),
    ...(draft.activationTopK.trim() === '' ? {} : { activationTopK: parseFraction(draft.activationTopK) }),
  });
  const writer = running ? undefined : runningWriterOf(jobs, 'sparse.train', { name: draft.name });

  return (
    <form
      className="form-grid"
      aria-label="Train a weight-sparse model"
      onSubmit={(e) => {
        e.preventDefault();
        void start(input);
      }}
    >
      <CorpusFields value={draft.corpus} onChange={(corpus) => set({ corpus })} error={action.error} idPrefix="sparse" />
      <Field label="Name" field="name" error={action.error}>
        <input name="sparse-name" value={draft.name} onChange={(e) => set({ name: e.target.value })} />
      </Field>
      <Field label="Tokenizer of" field="model" error={action.error}>
        <select name="sparse-tokenizer" value={draft.tokenizerModel} onChange={(e) => set({ tokenizerModel: e.target.value })}>
          {models.map((m) => (
            <option key={m.path} value={m.path}>
              {m.name}
            </option>
          ))}
        </select>
      </Field>
      <Field label="d_model" field="dModel" error={action.error}>
        <input name="sparse-dmodel" inputMode="numeric" value={draft.dModel} onChange={(e) => set({ dModel: e.target.value })} />
      </Field>
      <Field label="Layers" field="layers" error={action.error}>
        <input name="sparse-layers" inputMode="numeric" value={draft.layers} onChange={(e) => set({ layers: e.target.value })} />
      </Field>
      <Field label="Heads" field="heads" error={action.error}>
        <input name="sparse-heads" inputMode="numeric" value={draft.heads} onChange={(e) => set({ heads: e.target.value })} />
      </Field>
      <Field label="Steps" field="steps" error={action.error}>
        <input name="sparse-steps" inputMode="numeric" value={draft.steps} onChange={(e) => set({ steps: e.target.value })} />
      </Field>
      <Field label="Nonzero fraction" field="targetFraction" error={action.error}>
        <input name="sparse-fraction" placeholder="1/64" value={draft.targetFraction} onChange={(e) => set({ targetFraction: e.target.value })} />
      </Field>
      <Field label="AbsTopK (optional)" field="activationTopK" error={action.error}>
        <input name="sparse-abstopk" placeholder="e.g. 1/4" value={draft.activationTopK} onChange={(e) => set({ activationTopK: e.target.value })} />
      </Field>
      <div className="form-actions">
        <button className="btn primary" type="submit" disabled={action.busy || running || writer !== undefined} aria-busy={running}>
          {running ? `Training ${job?.target?.label ?? ''}…`.replace(' …', '…') : 'Train sparse model'}
        </button>
        <JobLine job={job} onOpenJobs={onOpenJobs} />
      </div>
      {writer ? <p className="muted form-note">{busyMessage(writer)}</p> : null}
      <FormError error={action.error} fields={FIELDS} />
    </form>
  );
}
