import { useState } from 'react';
import type { JobInfo, SaeSummary } from '@shared/contract';
import { call } from '../api/client';
import { useCommand } from '../api/hooks';
import { claimError, Field, FormError, useAction } from '../ui/forms';
import { jobById } from './jobResults';
import { JobLine } from './JobLine';

const FIELDS = ['saeId', 'dir', 'path'];

type What = 'saelens' | 'csv' | 'neuronpedia-jsonl';

/** sae.export (a SAELens folder) or catalog.export (the analysed features as CSV or JSON Lines). */
export function ExportForm({ saes, jobs, onOpenJobs }: { saes: SaeSummary[]; jobs: JobInfo[]; onOpenJobs: () => void }) {
  const [saeId, setSaeId] = useState<number | undefined>(saes[0]?.id);
  const [what, setWhat] = useState<What>('saelens');
  const [path, setPath] = useState('');
  const [force, setForce] = useState(false);
  // The app writes only into its workspace: suggest its exports folder.
  const workspace = useCommand('app.doctor', {}).data?.paths.workspace;
  const [done, setDone] = useState<string>();
  const [jobId, setJobId] = useState<string>();
  const action = useAction();
  const chosen = saes.find((s) => s.id === saeId) ?? saes[0];
  const suggested = workspace && chosen ? `${workspace}/exports/${chosen.name}${what === 'saelens' ? '' : what === 'csv' ? '-features.csv' : '-features.jsonl'}` : '';
  const target = path.trim() === '' ? suggested : path.trim();
  const submit = async () => {
    setDone(undefined);
    if (!chosen) return;
    if (what === 'saelens') {
      const r = await action.run(() => call('sae.export', { saeId: chosen.id, dir: target, force }));
      if (r) setDone(`Wrote ${r.files.join(' and ')} to ${r.dir}`);
    } else {
      const r = await action.run(() => call('catalog.export', { saeId: chosen.id, format: what, path: target, force }));
      if (r) setJobId(r.jobId);
    }
  };
  const pathField = what === 'saelens' ? 'dir' : 'path';
  const error = claimError(action.error, pathField);
  if (saes.length === 0) return <p className="muted">Nothing to export yet: train or import an SAE first.</p>;
  return (
    <form
      className="form-grid"
      aria-label="Export an SAE"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <Field label="SAE" field="saeId" error={error}>
        <select name="export-sae" value={chosen?.id} onChange={(e) => setSaeId(Number(e.target.value))}>
          {saes.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name} #{s.id}
            </option>
          ))}
        </select>
      </Field>
      <Field label="What" field="what" error={undefined}>
        <select name="export-what" value={what} onChange={(e) => setWhat(e.target.value as What)}>
          <option value="saelens">SAE weights (SAELens folder)</option>
          <option value="csv" disabled={!chosen?.analysis}>
            Feature table (CSV)
          </option>
          <option value="neuronpedia-jsonl" disabled={!chosen?.analysis}>
            Features, Neuronpedia-like (JSON Lines)
          </option>
        </select>
      </Field>
      <Field label={what === 'saelens' ? 'Folder to create (absolute, in the workspace)' : 'File to write (absolute, in the workspace)'} field={pathField} error={error} wide>
        <input name="export-path" className="grow" placeholder={suggested || (what === 'saelens' ? '/path/to/new-folder' : '/path/to/features.csv')} value={path} onChange={(e) => setPath(e.target.value)} aria-invalid={error?.field === pathField} />
      </Field>
      <label className="check">
        <input type="checkbox" name="export-force" checked={force} onChange={(e) => setForce(e.target.checked)} /> Replace existing
      </label>
      <div className="form-actions">
        <button className="btn primary" type="submit" disabled={action.busy}>
          Export
        </button>
        {done ? <span className="ok-text">{done}</span> : null}
        <JobLine job={jobById(jobs, jobId)} onOpenJobs={onOpenJobs} />
      </div>
      <FormError error={error} fields={FIELDS} />
    </form>
  );
}
