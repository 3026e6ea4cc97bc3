import { useState } from 'react';
import type { ModelInfo, SaeSummary } from '@shared/contract';
import { formatAct } from '../features/tokens';
import { formatIndices, parseFeatureIndex, parseNeurons, steeringValue, STEER_MAX, STEER_MIN, type FeatureEdit, type NeuronAblation } from './interventions';

export interface InterventionsProps {
  model: ModelInfo | undefined;
  sae: SaeSummary | null;
  neurons: NeuronAblation[];
  features: FeatureEdit[];
  /** A change that should re-run at once (toggle, add, remove). */
  onNeurons: (next: NeuronAblation[]) => void;
  onFeatures: (next: FeatureEdit[], rerun: boolean) => void;
  onAddFeature: (feature: number, mode: FeatureEdit['mode']) => Promise<string | null>;
  /** A slider was let go: re-run, timing from this moment. */
  onSliderRelease: (t0: number) => void;
}

let nextId = 1;
export const newEditId = () => nextId++;

export function InterventionsPanel(p: InterventionsProps) {
  return (
    <section className="panel interventions" aria-label="Interventions">
      <header className="panel-head">
        <h3>Interventions</h3>
        <span className="muted">sent with every run</span>
      </header>
      <NeuronAblations {...p} />
      <FeatureEdits {...p} />
    </section>
  );
}

function NeuronAblations({ model, neurons, onNeurons }: InterventionsProps) {
  const [layer, setLayer] = useState('0');
  const [indices, setIndices] = useState('0-31');
  const [error, setError] = useState<string>();
  const layers = model?.nLayers ?? 0;
  const add = () => {
    try {
      const list = parseNeurons(indices, model?.dMlp);
      setError(undefined);
      onNeurons([...neurons, { id: newEditId(), layer: Number(layer), neurons: list, enabled: true }]);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <div className="iv-group" aria-label="MLP neuron ablations">
      <h4>MLP neurons · zero-ablate</h4>
      <form
        className="iv-add"
        onSubmit={(e) => {
          e.preventDefault();
          add();
        }}
      >
        <label className="field">
          <span className="field-label">Layer</span>
          <select name="ablate-layer" aria-label="Layer" value={layer} onChange={(e) => setLayer(e.target.value)}>
            {Array.from({ length: layers }, (_, i) => (
              <option key={i} value={i}>
                {i}
              </option>
            ))}
          </select>
        </label>
        <label className="field grow-field">
          <span className="field-label">Neurons{model ? ` (0-${model.dMlp - 1})` : ''}</span>
          <input name="ablate-neurons" aria-label="Neurons" className="grow" value={indices} onChange={(e) => setIndices(e.target.value)} placeholder="0-63, 100" aria-invalid={error !== undefined} />
        </label>
        <button className="btn" type="submit" disabled={!model}>
          Add
        </button>
        {error ? (
          <span className="field-error" role="alert">
            {error}
          </span>
        ) : null}
      </form>
      {neurons.length === 0 ? <p className="muted iv-empty">No neuron ablations. Add a layer and neurons (e.g. 0-63) to switch them off.</p> : null}
      <ul className="iv-list">
        {neurons.map((n) => (
          <li key={n.id} className={n.enabled ? '' : 'off'} data-testid="neuron-ablation">
            <label className="iv-toggle">
              <input type="checkbox" checked={n.enabled} onChange={(e) => onNeurons(neurons.map((x) => (x.id === n.id ? { ...x, enabled: e.target.checked } : x)))} />
              <span className="mono">
                L{n.layer} [{formatIndices(n.neurons)}]
              </span>
              <span className="muted">{n.neurons.length} neuron{n.neurons.length === 1 ? '' : 's'}</span>
            </label>
            <button type="button" className="iv-remove" aria-label={`Remove L${n.layer} ablation`} onClick={() => onNeurons(neurons.filter((x) => x.id !== n.id))}>
              ×
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

function FeatureEdits({ sae, features, onFeatures, onAddFeature, onSliderRelease }: InterventionsProps) {
  const [idx, setIdx] = useState('0');
  const [mode, setMode] = useState<FeatureEdit['mode']>('steer');
  const [error, setError] = useState<string>();
  if (!sae) {
    return (
      <div className="iv-group">
        <h4>SAE features</h4>
        <p className="muted iv-empty">Pick an SAE above to ablate or steer its features.</p>
      </div>
    );
  }
  const add = async () => {
    let n: number;
    try {
      n = parseFeatureIndex(idx, sae.dSae);
    } catch (err) {
      setError((err as Error).message);
      return;
    }
    setError((await onAddFeature(n, mode)) ?? undefined);
  };
  const patch = (id: number, change: Partial<FeatureEdit>, rerun: boolean) => onFeatures(features.map((f) => (f.id === id ? { ...f, ...change } : f)), rerun);
  return (
    <div className="iv-group" aria-label="SAE feature edits">
      <h4>
        SAE features · <span className="mono">{sae.hookName}</span>
      </h4>
      <form
        className="iv-add"
        onSubmit={(e) => {
          e.preventDefault();
          void add();
        }}
      >
        <label className="field">
          <span className="field-label">Feature (0-{sae.dSae - 1})</span>
          <input name="feature-index" aria-label="Feature" inputMode="numeric" value={idx} onChange={(e) => setIdx(e.target.value)} aria-invalid={error !== undefined} />
        </label>
        <label className="field">
          <span className="field-label">Edit</span>
          <select name="feature-mode" aria-label="Edit" value={mode} onChange={(e) => setMode(e.target.value as FeatureEdit['mode'])}>
            <option value="steer">steer</option>
            <option value="ablate">ablate</option>
          </select>
        </label>
        <button className="btn" type="submit">
          Add
        </button>
        {error ? (
          <span className="field-error" role="alert">
            {error}
          </span>
        ) : null}
      </form>
      {features.length === 0 ? <p className="muted iv-empty">No feature edits. Steering adds strength × the feature’s max activation to it (raw units before an analysis); negative suppresses.</p> : null}
      <ul className="iv-list">
        {features.map((f) => (
          <li key={f.id} className={f.enabled ? '' : 'off'} data-testid="feature-edit" data-feature={f.feature}>
            <div className="iv-row">
              <label className="iv-toggle">
                <input type="checkbox" checked={f.enabled} onChange={(e) => patch(f.id, { enabled: e.target.checked }, true)} />
                <span className="mono">
                  {f.mode === 'ablate' ? 'ablate' : 'steer'} feature {f.feature}
                </span>
              </label>
              <button type="button" className="iv-remove" aria-label={`Remove feature ${f.feature} edit`} onClick={() => onFeatures(features.filter((x) => x.id !== f.id), true)}>
                ×
              </button>
            </div>
            {f.mode === 'steer' ? (
              <div className="iv-slider">
                <input
                  type="range"
                  aria-label={`Steering strength of feature ${f.feature}`}
                  min={STEER_MIN}
                  max={STEER_MAX}
                  step={0.25}
                  value={f.strength}
                  onChange={(e) => patch(f.id, { strength: Number(e.target.value) }, false)}
                  onPointerUp={() => onSliderRelease(performance.now())}
                  onKeyUp={(e) => {
                    if (e.key.startsWith('Arrow') || e.key === 'Home' || e.key === 'End' || e.key.startsWith('Page')) onSliderRelease(performance.now());
                  }}
                />
                <span className="mono iv-strength" data-testid="steer-strength">
                  {f.strength > 0 ? '+' : ''}
                  {f.strength.toFixed(2)}
                </span>
                <span className="muted iv-units" title={f.maxAct !== null ? `adds ${formatAct(steeringValue(f))} to the feature's activation` : 'raw units: this SAE has no analysis yet'}>
                  {f.maxAct !== null ? `adds ${steeringValue(f) > 0 ? '+' : ''}${formatAct(steeringValue(f))} (× max ${formatAct(f.maxAct)}) to the feature` : 'adds this, in raw units, to the feature'}
                </span>
              </div>
            ) : null}
          </li>
        ))}
      </ul>
    </div>
  );
}
