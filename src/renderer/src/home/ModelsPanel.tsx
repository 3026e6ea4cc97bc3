import { useState } from 'react';
import type { MemoryPlan, ModelInfo } from '@shared/contract';
import { describePlan, formatBytes } from '@shared/memory-plan-text';
import { call } from '../api/client';
import { claimError, Field, FormError, useAction } from '../ui/forms';
import { formatNumber } from '../ui/format';

/** The bundled model and every folder opened before; "Open folder…" takes a typed path (no native dialog in a browser). */
export function ModelsPanel({ models, loadError, onOpened }: { models: ModelInfo[] | undefined; loadError: string | undefined; onOpened: (m: ModelInfo) => void }) {
  const [path, setPath] = useState('');
  const [opened, setOpened] = useState<ModelInfo | null>(null);
  const open = useAction();
  const error = claimError(open.error, 'path');
  const submit = async () => {
    const m = await open.run(() => call('model.open', { path: path.trim() }));
    if (m) {
      setPath('');
      setOpened(m);
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
              <th>Memory</th>
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
                <td title={m.memoryPlan ? describePlan(m.memoryPlan).join('\n') : undefined}>{m.memoryPlan ? planSummary(m.memoryPlan) : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {opened?.memoryPlan ? (
        <div className="muted" aria-label="Memory plan">
          <span className="strong">{opened.name}</span> memory plan:
          <ul>
            {describePlan(opened.memoryPlan).map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </div>
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

/** resident or streamed, and the expected peak in the backend. */
function planSummary(p: MemoryPlan): string {
  return `${p.mode === 'resident' ? 'resident' : 'streamed per layer'}, peak ${formatBytes(p.peakBackendBytes)}`;
}
