import { useState } from 'react';
import type { ModelInfo } from '@shared/contract';
import { call } from '../api/client';
import { claimError, Field, FormError, useAction } from '../ui/forms';
import { formatNumber } from '../ui/format';

/** The bundled model and every folder opened before; "Open folder…" takes a typed path (no native dialog in a browser). */
export function ModelsPanel({ models, loadError, onOpened }: { models: ModelInfo[] | undefined; loadError: string | undefined; onOpened: (m: ModelInfo) => void }) {
  const [path, setPath] = useState('');
  const open = useAction();
  const error = claimError(open.error, 'path');
  const submit = async () => {
    const m = await open.run(() => call('model.open', { path: path.trim() }));
    if (m) {
      setPath('');
      onOpened(m);
    }
  };
  return (
    <section className="panel" aria-label="Models">
      <header className="panel-head">
        <h3>Models</h3>
        <span className="muted">{models ? `${models.length} folder${models.length === 1 ? '' : 's'}` : ''}</span>
      </header>
      {loadError ? <p className="error-text">{loadError}</p> : null}
      {models === undefined ? <p className="muted">Reading models…</p> : null}
      {models?.length === 0 ? <p className="muted">No model yet: open a Hugging Face model folder (config.json, model.safetensors, tokenizer.json) below.</p> : null}
      {models && models.length > 0 ? (
        <table className="table compact" aria-label="Model list">
          <thead>
            <tr>
              <th>Name</th>
              <th>Type</th>
              <th className="num">Layers</th>
              <th className="num">d_model</th>
              <th className="num">Params</th>
            </tr>
          </thead>
          <tbody>
            {models.map((m) => (
              <tr key={m.path} data-model-path={m.path} title={m.path}>
                <td>
                  <span className="strong">{m.name}</span>
                  {m.bundled ? <span className="badge subtle">bundled</span> : null}
                  <div className="muted mono path">{m.path}</div>
                </td>
                <td className="mono">{m.modelType}</td>
                <td className="num">{m.nLayers}</td>
                <td className="num">{m.dModel}</td>
                <td className="num">{formatNumber(m.parameters)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <form
        className="form-row"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Field label="Model folder" field="path" error={error} wide>
          <input name="model-path" className="grow" placeholder="/path/to/model (Hugging Face layout)" value={path} onChange={(e) => setPath(e.target.value)} aria-invalid={error !== undefined} />
        </Field>
        <button className="btn" type="submit" disabled={open.busy || path.trim() === ''}>
          {open.busy ? 'Opening…' : 'Open folder…'}
        </button>
        <FormError error={error} fields={['path']} />
      </form>
    </section>
  );
}
