import { useState } from 'react';
import { call } from '../api/client';
import { claimError, Field, FormError, useAction } from '../ui/forms';

const FIELDS = ['path', 'name'];

/** sae.import: a SAELens, sparsify or Gemma Scope 2 folder, or a Gemma Scope params.npz, copied into the workspace. */
export function ImportForm() {
  const [path, setPath] = useState('');
  const [name, setName] = useState('');
  const [done, setDone] = useState<string>();
  const action = useAction();
  const submit = async () => {
    setDone(undefined);
    const r = await action.run(() => call('sae.import', { path: path.trim(), name: name.trim() }));
    if (r) setDone(`Imported #${r.saeId}: ${r.architecture}, ${r.dIn} → ${r.dSae} at ${r.hookName}`);
  };
  // Engine-side failures (a bad file) are about the path.
  const error = claimError(action.error, 'path');
  return (
    <form
      className="form-grid"
      aria-label="Import an SAE"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <Field label="SAE folder or params.npz" field="path" error={error} wide>
        <input name="import-path" className="grow" placeholder="/path/to/sae (cfg.json + sae_weights.safetensors)" value={path} onChange={(e) => setPath(e.target.value)} aria-invalid={error?.field === 'path'} />
      </Field>
      <Field label="Name" field="name" error={error}>
        <input name="import-name" value={name} onChange={(e) => setName(e.target.value)} aria-invalid={error?.field === 'name'} />
      </Field>
      <div className="form-actions">
        <button className="btn primary" type="submit" disabled={action.busy}>
          Import
        </button>
        {done ? <span className="ok-text">{done}</span> : null}
      </div>
      <FormError error={error} fields={FIELDS} />
    </form>
  );
}
