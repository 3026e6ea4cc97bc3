// The playground's intervention list: renderer state, sent whole with every run (the engine keeps
// no hook between runs, TransformerLens run_with_hooks style). Pure functions, unit-tested.
import type { Intervention } from '@shared/contract';

export interface NeuronAblation {
  id: number;
  layer: number;
  neurons: number[];
  enabled: boolean;
}

export interface FeatureEdit {
  id: number;
  feature: number;
  mode: 'ablate' | 'steer';
  /** Steering strength, −10…+10: units of the feature's max activation when known, else raw units. */
  strength: number;
  enabled: boolean;
  /** The feature's max activation from the SAE's analysis, or null when the SAE has none. */
  maxAct: number | null;
}

export const STEER_MIN = -10;
export const STEER_MAX = 10;

/** The hook of GPT-2 / Llama / Gemma MLP neurons in TransformerLens naming. */
export function mlpHook(layer: number): string {
  return `blocks.${layer}.mlp.hook_post`;
}

/**
 * "0-63, 100, 120-122" → [0..63, 100, 120, 121, 122], sorted, without repeats.
 * Throws with the offending piece when the text is not a list of indices and ranges.
 */
export function parseIndices(text: string, limit = 100_000): number[] {
  const out = new Set<number>();
  for (const raw of text.split(/[,\s]+/)) {
    const piece = raw.trim();
    if (piece === '') continue;
    const m = /^(\d+)(?:\s*[-–]\s*(\d+))?$/.exec(piece);
    if (!m) throw new Error(`"${piece}" is not an index or a range like 0-63`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new Error(`"${piece}": a range goes low-high`);
    if (out.size + (b - a + 1) > limit) throw new Error(`more than ${limit} indices`);
    for (let i = a; i <= b; i++) out.add(i);
  }
  if (out.size === 0) throw new Error('give at least one index, e.g. 5 or 0-63');
  return [...out].sort((x, y) => x - y);
}

/** The neurons of an ablation as typed, each checked against the MLP's width (unknown: unchecked). */
export function parseNeurons(text: string, dMlp: number | undefined): number[] {
  const list = parseIndices(text);
  const over = dMlp === undefined ? undefined : list.find((i) => i >= dMlp);
  if (over !== undefined) throw new Error(`neuron ${over} is out of range: the MLP has ${dMlp} neurons (0-${dMlp! - 1})`);
  return list;
}

/** A feature index as typed, 0 ≤ idx < d_sae. */
export function parseFeatureIndex(text: string, dSae: number): number {
  const n = Number(text.trim());
  if (text.trim() === '' || !Number.isInteger(n) || n < 0 || n >= dSae) throw new Error(`feature must be an index 0-${dSae - 1}`);
  return n;
}

/** "0-63, 100": the compact form of a sorted index list. */
export function formatIndices(indices: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < indices.length) {
    let j = i;
    while (j + 1 < indices.length && indices[j + 1] === indices[j]! + 1) j++;
    parts.push(j > i ? `${indices[i]}-${indices[j]}` : String(indices[i]));
    i = j + 1;
  }
  return parts.join(', ');
}

/** The steering amount added to the feature's activation: strength × max activation, or raw strength. */
export function steeringValue(edit: Pick<FeatureEdit, 'strength' | 'maxAct'>): number {
  return edit.maxAct !== null && edit.maxAct > 0 ? edit.strength * edit.maxAct : edit.strength;
}

/** The enabled edits as contract interventions. SAE-feature edits need the SAE's hook; a zero steer is no edit. */
export function buildInterventions(neurons: readonly NeuronAblation[], features: readonly FeatureEdit[], saeHook: string | null): Intervention[] {
  const out: Intervention[] = [];
  for (const n of neurons) {
    if (n.enabled && n.neurons.length > 0) out.push({ hook: mlpHook(n.layer), kind: 'ablate-zero', target: { neurons: [...n.neurons] } });
  }
  if (saeHook === null) return out;
  for (const f of features) {
    if (!f.enabled) continue;
    if (f.mode === 'ablate') out.push({ hook: saeHook, kind: 'ablate-zero', target: { saeFeatures: [f.feature] } });
    else if (f.strength !== 0) out.push({ hook: saeHook, kind: 'add', target: { saeFeatures: [f.feature] }, value: steeringValue(f) });
  }
  return out;
}

/** One line per intervention, for the experiment log: "ablate blocks.1.mlp.hook_post[0-63]", "add 2.5 · feature 12". */
export function describeIntervention(iv: Intervention): string {
  const t = iv.target;
  const what = 'neurons' in t ? `${iv.hook}[${formatIndices([...t.neurons].sort((a, b) => a - b))}]` : 'saeFeatures' in t ? `feature ${formatIndices([...t.saeFeatures].sort((a, b) => a - b))} @ ${iv.hook}` : `vector(${t.vector.length}) @ ${iv.hook}`;
  switch (iv.kind) {
    case 'ablate-zero':
      return `zero ${what}`;
    case 'ablate-mean':
      return `mean-ablate ${what}`;
    case 'clamp':
      return `clamp ${what} = ${iv.value}`;
    case 'add':
      return `add ${iv.value === undefined ? '' : `${Number(iv.value.toPrecision(3))} · `}${what}`;
  }
}
