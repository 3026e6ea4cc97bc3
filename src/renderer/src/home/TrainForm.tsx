import { useEffect, useState } from 'react';
import type { CommandOutput, JobInfo, TrainInput } from '@shared/contract';
import { call } from '../api/client';
import { useCommand } from '../api/hooks';
import { Field, FormError, numberOrUndefined, useAction } from '../ui/forms';
import { jobById } from './jobResults';
import { JobLine } from './JobLine';

const FIELDS = ['store', 'name', 'architecture', 'dSae', 'k', 'steps', 'batchSize'];
type Architecture = TrainInput['architecture'];

/** sae.train on an activation store: the workspace's complete captures are offered, any store folder can be typed. */
export function TrainForm({ jobs, onOpenJobs }: { jobs: JobInfo[]; onOpenJobs: () => void }) {
  // Listed again whenever a job finishes, so a capture that just completed is offered at once.
  const captures = useCommand('capture.list', {}, ['job.finished']);
  const stores = completeStores(captures.data?.captures ?? []);
  const [store, setStore] = useState('');
  const [name, setName] = useState('sae-1');
  const [architecture, setArchitecture] = useState<Architecture>('topk');
  const [dSae, setDSae] = useState('1024');
  const [k, setK] = useState('16');
  const [steps, setSteps] = useState('1000');
  const [batch, setBatch] = useState('1024');
  const [jobId, setJobId] = useState<string>();
  const action = useAction();
  const newest = stores[0]?.storeDir;

  // Offer the newest capture once it exists, without overwriting what the user typed.
  useEffect(() => {
    if (newest) setStore((s) => (s === '' ? newest : s));
  }, [newest]);

  const needsK = architecture === 'topk' || architecture === 'batchtopk';
  const submit = async () => {
    const ref = await action.run(() =>
      call('sae.train', {
        store: store.trim(),
        name: name.trim(),
        architecture,
        dSae: Number(dSae),
        ...(needsK ? { k: numberOrUndefined(k) } : {}),
        steps: Number(steps),
        batchSize: Number(batch),
      }),
    );
    if (ref) setJobId(ref.jobId);
  };

  return (
    <form
      className="form-grid"
      aria-label="Train an SAE"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
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
        <input name="train-store" className="grow" list="captured-stores" placeholder="a capture's store folder" value={store} onChange={(e) => setStore(e.target.value)} aria-invalid={action.error?.field === 'store'} />
      </Field>
      <Field label="Name" field="name" error={action.error}>
        <input name="train-name" value={name} onChange={(e) => setName(e.target.value)} aria-invalid={action.error?.field === 'name'} />
      </Field>
      <Field label="Architecture" field="architecture" error={action.error}>
        <select name="train-architecture" value={architecture} onChange={(e) => setArchitecture(e.target.value as Architecture)}>
          <option value="topk">topk</option>
          <option value="batchtopk">batchtopk</option>
          <option value="standard">standard (relu-l1)</option>
          <option value="jumprelu">jumprelu</option>
        </select>
      </Field>
      <Field label="d_sae" field="dSae" error={action.error}>
        <input name="train-dsae" inputMode="numeric" value={dSae} onChange={(e) => setDSae(e.target.value)} aria-invalid={action.error?.field === 'dSae'} />
      </Field>
      {needsK ? (
        <Field label="k" field="k" error={action.error}>
          <input name="train-k" inputMode="numeric" value={k} onChange={(e) => setK(e.target.value)} aria-invalid={action.error?.field === 'k'} />
        </Field>
      ) : null}
      <Field label="Steps" field="steps" error={action.error}>
        <input name="train-steps" inputMode="numeric" value={steps} onChange={(e) => setSteps(e.target.value)} aria-invalid={action.error?.field === 'steps'} />
      </Field>
      <Field label="Batch" field="batchSize" error={action.error}>
        <input name="train-batch" inputMode="numeric" value={batch} onChange={(e) => setBatch(e.target.value)} aria-invalid={action.error?.field === 'batchSize'} />
      </Field>
      <div className="form-actions">
        <button className="btn primary" type="submit" disabled={action.busy}>
          Train
        </button>
        <JobLine job={jobById(jobs, jobId)} onOpenJobs={onOpenJobs} />
      </div>
      <FormError error={action.error} fields={FIELDS} />
    </form>
  );
}

type ListedCapture = CommandOutput<'capture.list'>['captures'][number];

/** The complete, readable stores of the workspace's captures, newest capture first. */
function completeStores(captures: ListedCapture[]): Array<{ storeDir: string; hook: string; tokens: number; capture: string }> {
  return captures.flatMap((c) => c.stores.filter((s) => s.complete && s.problem === null).map((s) => ({ storeDir: s.storeDir, hook: s.hook, tokens: s.tokens, capture: c.name })));
}
