import { useEffect } from 'react';
import type { CommandInput, CommandOutput, JobInfo, TrainInput } from '@shared/contract';
import { useCommand } from '../api/hooks';
import { Field, FormError, numberOrUndefined } from '../ui/forms';
import { busyMessage, runningWriterOf, useJobStart } from '../jobs/useJobStart';
import { JobLine } from './JobLine';
import { useSessionState } from './useSessionState';

const FIELDS = ['store', 'name', 'architecture', 'dSae', 'k', 'steps', 'batchSize'];
type Architecture = TrainInput['architecture'];
interface Draft {
  store: string;
  name: string;
  architecture: Architecture;
  dSae: string;
  k: string;
  steps: string;
  batch: string;
}
const INITIAL: Draft = { store: '', name: 'sae-1', architecture: 'topk', dSae: '1024', k: '16', steps: '1000', batch: '1024' };

/** sae.train on an activation store: the workspace's complete captures are offered, any store folder can be typed. */
export function TrainForm({ jobs, onOpenJobs }: { jobs: JobInfo[]; onOpenJobs: () => void }) {
  // Listed again whenever a job finishes, so a capture that just completed is offered at once.
  const captures = useCommand('capture.list', {}, ['job.finished']);
  const stores = completeStores(captures.data?.captures ?? []);
  // The fields and the started job survive a reload: the form comes back to its running job.
  const [draft, setDraft] = useSessionState<Draft>('featurescope.home.train', INITIAL);
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));
  const { action, job, running, start } = useJobStart('sae.train', jobs, 'featurescope.home.train.job');
  const newest = stores[0]?.storeDir;

  // Offer the newest capture once it exists, without overwriting what the user typed.
  useEffect(() => {
    if (newest) setDraft((d) => (d.store === '' ? { ...d, store: newest } : d));
  }, [newest, setDraft]);

  const needsK = draft.architecture === 'topk' || draft.architecture === 'batchtopk';
  const input = (): CommandInput<'sae.train'> => ({
    store: draft.store.trim(),
    name: draft.name.trim(),
    architecture: draft.architecture,
    dSae: Number(draft.dSae),
    ...(needsK ? { k: numberOrUndefined(draft.k) } : {}),
    steps: Number(draft.steps),
    batchSize: Number(draft.batch),
  });
  // Another job (Get started, another tab) training this name: say so before the press.
  const writer = running ? undefined : runningWriterOf(jobs, 'sae.train', { name: draft.name });

  return (
    <form
      className="form-grid"
      aria-label="Train an SAE"
      onSubmit={(e) => {
        e.preventDefault();
        void start(input);
      }}
    >
      <datalist id="captured-stores">
        {stores.map((s) => (
          <option key={s.storeDir} value={s.storeDir}>
            {`${s.capture} · ${s.hook} · ${s.tokens.toLocaleString()} tokens`}
          </option>
        ))}
      </datalist>
      <Field label="Activation store" field="store" error={action.error} wide>
        <input name="train-store" className="grow" list="captured-stores" placeholder="a capture's store folder" value={draft.store} onChange={(e) => set({ store: e.target.value })} />
      </Field>
      <Field label="Name" field="name" error={action.error}>
        <input name="train-name" value={draft.name} onChange={(e) => set({ name: e.target.value })} />
      </Field>
      <Field label="Architecture" field="architecture" error={action.error}>
        <select name="train-architecture" value={draft.architecture} onChange={(e) => set({ architecture: e.target.value as Architecture })}>
          <option value="topk">topk</option>
          <option value="batchtopk">batchtopk</option>
          <option value="standard">standard (relu-l1)</option>
          <option value="jumprelu">jumprelu</option>
          <option value="matryoshka_batchtopk">matryoshka batchtopk</option>
        </select>
      </Field>
      <Field label="d_sae" field="dSae" error={action.error}>
        <input name="train-dsae" inputMode="numeric" value={draft.dSae} onChange={(e) => set({ dSae: e.target.value })} />
      </Field>
      {needsK ? (
        <Field label="k" field="k" error={action.error}>
          <input name="train-k" inputMode="numeric" value={draft.k} onChange={(e) => set({ k: e.target.value })} />
        </Field>
      ) : null}
      <Field label="Steps" field="steps" error={action.error}>
        <input name="train-steps" inputMode="numeric" value={draft.steps} onChange={(e) => set({ steps: e.target.value })} />
      </Field>
      <Field label="Batch" field="batchSize" error={action.error}>
        <input name="train-batch" inputMode="numeric" value={draft.batch} onChange={(e) => set({ batch: e.target.value })} />
      </Field>
      <div className="form-actions">
        <button className="btn primary" type="submit" disabled={action.busy || running || writer !== undefined} aria-busy={running}>
          {running ? `Training ${job?.target?.label ?? ''}…`.replace(' …', '…') : 'Train'}
        </button>
        <JobLine job={job} onOpenJobs={onOpenJobs} />
      </div>
      {writer ? (
        <p className="muted form-note" data-testid="train-busy">
          {busyMessage(writer)}
        </p>
      ) : null}
      <FormError error={action.error} fields={FIELDS} />
    </form>
  );
}

type ListedCapture = CommandOutput<'capture.list'>['captures'][number];

/** The complete, readable stores of the workspace's captures, newest capture first. */
function completeStores(captures: ListedCapture[]): Array<{ storeDir: string; hook: string; tokens: number; capture: string }> {
  return captures.flatMap((c) => c.stores.filter((s) => s.complete && s.problem === null).map((s) => ({ storeDir: s.storeDir, hook: s.hook, tokens: s.tokens, capture: c.name })));
}
