import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { CommandInput, SaeSummary } from '@shared/contract';
import { call, CommandFailed } from '../api/client';
import type { NavRequest } from '../app/navigation';
import { Field, FormError, useAction } from '../ui/forms';
import { modelListGate, useModelChoice } from '../ui/modelChoice';
import { featureMaxAct } from './feature-max';
import { buildInterventions, type FeatureEdit, type NeuronAblation } from './interventions';
import { InterventionsPanel, newEditId } from './InterventionsPanel';
import { RunResult, type ShownRun } from './RunResult';
import './playground.css';

type ProbeKind = 'none' | 'neuron' | 'feature';
interface Lists {
  neurons: NeuronAblation[];
  features: FeatureEdit[];
}
const FIELDS = ['model', 'prompt', 'sae', 'probe', 'generate', 'interventions'];

/**
 * One prompt, its tokens under a probe, its next-token distribution and continuation; with
 * interventions enabled every run is an experiment (baseline vs intervened, logged with a cite id).
 */
export function PlaygroundView({ active, request }: { active: boolean; request?: NavRequest<'playground'> | undefined }) {
  const { models, saes, model, setModelPath } = useModelChoice();
  const [saeId, setSaeId] = useState<number | null>(null);
  const [prompt, setPrompt] = useState('The cat sat on the mat because');
  const [probeKind, setProbeKind] = useState<ProbeKind>('none');
  const [probeHook, setProbeHook] = useState('');
  const [probeIndex, setProbeIndex] = useState('0');
  const [maxNew, setMaxNew] = useState('12');
  const [temperature, setTemperature] = useState('0');
  const [seed, setSeed] = useState('0');
  const [lists, setListsState] = useState<Lists>({ neurons: [], features: [] });
  const listsRef = useRef(lists);
  const [shown, setShown] = useState<{ run: ShownRun; seq: number; t0: number | null; probeScale: number | null }>();
  const [latencyMs, setLatencyMs] = useState<number | null>(null);
  const seq = useRef(0);
  const action = useAction();

  const sae: SaeSummary | null = saes.data?.find((s) => s.id === saeId) ?? null;
  useEffect(() => {
    if (model && !model.hookNames.includes(probeHook)) setProbeHook(model.hookNames.find((h) => h.endsWith('mlp.hook_post')) ?? model.hookNames[0] ?? '');
  }, [model, probeHook]);

  const setLists = useCallback((next: Lists) => {
    listsRef.current = next;
    setListsState(next);
  }, []);

  const probeInput = (): CommandInput<'model.run'>['probe'] => {
    if (probeKind === 'neuron') return { hook: probeHook, neuron: Number(probeIndex) };
    if (probeKind === 'feature') return { feature: Number(probeIndex) };
    return undefined;
  };

  /** Run with the interventions as they are now; a newer run makes an older answer stale (dropped). */
  const execute = async (t0: number | null = null) => {
    if (!model) return;
    const mine = ++seq.current;
    const interventions = buildInterventions(listsRef.current.neurons, listsRef.current.features, sae?.hookName ?? null);
    const probe = probeInput();
    const input: CommandInput<'model.run'> = {
      model: model.path,
      prompt,
      topK: 30,
      generate: { maxNewTokens: Number(maxNew), temperature: Number(temperature), seed: Number(seed) },
      ...(sae ? { sae: sae.id } : {}),
      ...(probe ? { probe } : {}),
    };
    // Feature probes shade against the feature's max activation when the SAE has an analysis.
    const probeScale = probeKind === 'feature' && sae?.analysis ? await featureMax(sae.id, Number(probeIndex)).catch(() => null) : null;
    const run = await action.run(async (): Promise<ShownRun> => {
      // The contract caps new tokens at 1024; the model's own context is the bound that matters.
      const context = model.maxPositions;
      if (context !== null && Number(maxNew) >= context) {
        throw new CommandFailed({ code: 'invalid_input', field: 'generate.maxNewTokens', message: `New tokens (maxNewTokens) must be less than ${context}: ${model.name} reads at most ${context} tokens, the prompt included.` });
      }
      if (interventions.length === 0) return { baseline: await call('model.run', input), experiment: null };
      const out = await call('experiment.run', { ...input, interventions });
      return { baseline: out.baseline, experiment: out };
    });
    if (mine !== seq.current) return;
    // A failed run leaves no result of other inputs under its error.
    if (run) setShown({ run, seq: mine, t0, probeScale });
    else setShown(undefined);
  };

  // Slider release → first updated value on the page: measured once React has committed the new result.
  useLayoutEffect(() => {
    if (shown?.t0 != null) setLatencyMs(performance.now() - shown.t0);
  }, [shown]);

  const rerunIfShown = (t0: number | null = null) => {
    if (shown) void execute(t0);
  };

  const addFeature = async (feature: number, mode: FeatureEdit['mode']): Promise<string | null> => {
    if (!sae) return 'pick an SAE first';
    return addFeatureOf(sae, feature, mode);
  };

  async function addFeatureOf(of: SaeSummary, feature: number, mode: FeatureEdit['mode']): Promise<string | null> {
    let maxAct: number | null = null;
    if (of.analysis) {
      try {
        maxAct = await featureMax(of.id, feature);
      } catch (err) {
        return `feature ${feature}: ${(err as Error).message}`;
      }
    }
    setLists({ ...listsRef.current, features: [...listsRef.current.features, { id: newEditId(), feature, mode, strength: 0, enabled: true, maxAct }] });
    if (mode === 'ablate') rerunIfShown();
    return null;
  }

  // A feature page asked to try a feature here: its SAE (and the model it was trained on, when that
  // model is listed), the feature as the probe, and a steering slider for it (once).
  const handled = useRef<number | null>(null);
  useEffect(() => {
    if (!request || handled.current === request.serial || !saes.data || !models.data) return;
    handled.current = request.serial;
    const target = saes.data.find((s) => s.id === request.saeId);
    if (!target) return;
    const trainedOn = models.data.find((m) => m.path === target.trainedOn);
    if (trainedOn) setModelPath(trainedOn.path);
    setSaeId(target.id);
    setProbeKind('feature');
    setProbeIndex(String(request.idx));
    if (request.prompt) setPrompt(request.prompt);
    if (target.id !== saeId) setLists({ neurons: listsRef.current.neurons, features: [] }); // edits of another SAE do not apply
    const alreadySteered = target.id === saeId && listsRef.current.features.some((f) => f.feature === request.idx && f.mode === 'steer');
    if (!alreadySteered) void addFeatureOf(target, request.idx, 'steer');
    // Acts once per request (handled.current), as soon as both lists have loaded.
  }, [request, saes.data, models.data]);

  // Mounted while hidden (to keep its state): the empty and error states show only when active.
  const gate = modelListGate(models, active, 'No model to run');
  if (gate !== undefined) return gate;

  return (
    <div className="playground" hidden={!active}>
      <div className="pg-main">
        <form
          className="panel pg-setup"
          aria-label="Run a prompt"
          onSubmit={(e) => {
            e.preventDefault();
            void execute();
          }}
        >
          <div className="pg-pickers">
            <Field label="Model" field="model" error={action.error}>
              <select name="pg-model" value={model?.path ?? ''} onChange={(e) => setModelPath(e.target.value)}>
                {(models.data ?? []).map((m) => (
                  <option key={m.path} value={m.path}>
                    {m.name} · {m.nLayers}L d{m.dModel}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="SAE (optional)" field="sae" error={action.error}>
              <select
                name="pg-sae"
                value={sae?.id ?? ''}
                onChange={(e) => {
                  setSaeId(e.target.value === '' ? null : Number(e.target.value));
                  // Feature edits name features of one SAE: they do not carry over to another.
                  setLists({ ...listsRef.current, features: [] });
                  if (probeKind === 'feature' && e.target.value === '') setProbeKind('none');
                }}
              >
                <option value="">none</option>
                {(saes.data ?? []).map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name} · {s.hookName} · {s.dSae}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Probe" field="probe" error={action.error}>
              <span className="pg-probe">
                <select name="pg-probe-kind" aria-label="Probe kind" value={probeKind} onChange={(e) => setProbeKind(e.target.value as ProbeKind)}>
                  <option value="none">none</option>
                  <option value="neuron">neuron</option>
                  <option value="feature" disabled={!sae}>
                    SAE feature
                  </option>
                </select>
                {probeKind === 'neuron' ? (
                  <select name="pg-probe-hook" aria-label="Probe hook" value={probeHook} onChange={(e) => setProbeHook(e.target.value)}>
                    {(model?.hookNames ?? []).map((h) => (
                      <option key={h} value={h}>
                        {h}
                      </option>
                    ))}
                  </select>
                ) : null}
                {probeKind !== 'none' ? <input name="pg-probe-index" aria-label="Probe index" inputMode="numeric" value={probeIndex} onChange={(e) => setProbeIndex(e.target.value)} /> : null}
              </span>
            </Field>
          </div>
          <Field label="Prompt" field="prompt" error={action.error} wide>
            <textarea
              name="pg-prompt"
              rows={3}
              value={prompt}
              onChange={(e) => setPrompt(e.target.value)}
              aria-invalid={action.error?.field === 'prompt'}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                  e.preventDefault();
                  void execute();
                }
              }}
            />
          </Field>
          <div className="pg-run-row">
            <Field label="New tokens" field="generate.maxNewTokens" error={action.error}>
              <input name="pg-max-new" inputMode="numeric" value={maxNew} onChange={(e) => setMaxNew(e.target.value)} />
            </Field>
            <Field label="Temperature (0 = greedy)" field="generate.temperature" error={action.error}>
              <input name="pg-temperature" inputMode="decimal" value={temperature} onChange={(e) => setTemperature(e.target.value)} />
            </Field>
            <Field label="Seed" field="generate.seed" error={action.error}>
              <input name="pg-seed" inputMode="numeric" value={seed} onChange={(e) => setSeed(e.target.value)} />
            </Field>
            <span className="grow" />
            {latencyMs !== null ? (
              <span className="muted pg-latency" data-testid="update-latency" data-ms={latencyMs.toFixed(1)}>
                slider → update {latencyMs.toFixed(0)} ms
              </span>
            ) : null}
            <button className="btn primary" type="submit" disabled={!model}>
              {action.busy ? 'Running…' : 'Run'}
            </button>
          </div>
          <FormError error={action.error} fields={FIELDS} />
        </form>
        {shown ? (
          <section className="panel" aria-label="Result" data-seq={shown.seq}>
            <RunResult run={shown.run} probeScale={shown.probeScale} />
          </section>
        ) : (
          <div className="empty pg-empty">
            <h2>Run a prompt</h2>
            <p>See its tokens under a probe, the next-token distribution and a continuation. Add interventions on the right: every change re-runs as an experiment, baseline beside intervened.</p>
          </div>
        )}
      </div>
      <InterventionsPanel
        model={model}
        sae={sae}
        neurons={lists.neurons}
        features={lists.features}
        onNeurons={(neurons) => {
          setLists({ ...listsRef.current, neurons });
          rerunIfShown();
        }}
        onFeatures={(features, rerun) => {
          setLists({ ...listsRef.current, features });
          if (rerun) rerunIfShown();
        }}
        onAddFeature={addFeature}
        onSliderRelease={(t0) => rerunIfShown(t0)}
      />
    </div>
  );
}

function featureMax(saeId: number, idx: number): Promise<number> {
  return featureMaxAct(
    (query) => call('catalog.search', query),
    async (sae, feature) => (await call('catalog.feature', { saeId: sae, idx: feature })).feature.maxAct,
    saeId,
    idx,
  );
}
