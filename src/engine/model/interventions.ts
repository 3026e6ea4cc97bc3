// Interventions: edits applied to an activation at a named hook point during a forward pass
// (TransformerLens run_with_hooks semantics). They are arguments of a run, never state.
//
// Every intervention becomes a HookFn `(act, ctx) => act'`. The SAE module plugs in the same way:
// it hands run() a handler that turns a `saeFeatures` intervention into a HookFn (encode → edit →
// decode, keeping the error term), so the model code knows nothing about SAEs.

import * as tf from '@tensorflow/tfjs';
import { FeaturescopeError } from '../../shared/errors';

// The schema is part of the shared contract (commands carry interventions); the engine compiles it here.
import { Intervention, InterventionTarget } from '../../shared/contract/model';

export { Intervention, InterventionTarget };

export interface HookContext {
  hook: string;
  /** Absolute sequence index of the activation's first position (non-zero in cached generation steps). */
  positionOffset: number;
}

/** Rewrites the activation at one hook; called inside the forward's tf.tidy. */
export type HookFn = (act: tf.Tensor, ctx: HookContext) => tf.Tensor;

export interface HookBinding {
  hook: string;
  fn: HookFn;
}

/** Supplied by the SAE module: turns a saeFeatures intervention into a HookFn. */
export type SaeInterventionHandler = (iv: Intervention, field: string) => HookFn;

/** Validates `raw` interventions and turns them into hook bindings, in the order given. */
export function compileInterventions(raw: unknown[], saeHandler?: SaeInterventionHandler, fieldPrefix = 'interventions'): HookBinding[] {
  return raw.map((item, i) => {
    const field = `${fieldPrefix}.${i}`;
    const parsed = Intervention.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = [field, ...(issue?.path ?? []).map(String)].join('.');
      throw new FeaturescopeError('invalid_input', `${path}: ${issue?.message ?? 'invalid intervention'}`, path);
    }
    const iv = parsed.data;
    if ('saeFeatures' in iv.target) {
      if (saeHandler === undefined) {
        throw new FeaturescopeError('unsupported', `${field}.target.saeFeatures: no SAE is attached at ${iv.hook} for this run`, `${field}.target`);
      }
      return { hook: iv.hook, fn: saeHandler(iv, field) };
    }
    const fn = 'neurons' in iv.target ? unitEdit(iv, iv.target.neurons, field) : vectorEdit(iv, iv.target.vector, field);
    return { hook: iv.hook, fn };
  });
}

function lastDim(act: tf.Tensor): number {
  return act.shape[act.shape.length - 1] ?? 0;
}

/**
 * Edits units of the last axis: MLP neurons or residual dimensions here, SAE latents when the SAE
 * module applies it to the feature tensor (then `unitName` is 'saeFeatures').
 */
export function unitEdit(iv: Intervention, neurons: number[], field: string, unitName: 'neurons' | 'saeFeatures' = 'neurons'): HookFn {
  return (act, ctx) => {
    const d = lastDim(act);
    const bad = neurons.find((n) => n >= d);
    if (bad !== undefined) {
      throw new FeaturescopeError('invalid_input', `${field}.target.${unitName}: index ${bad} is out of range for ${ctx.hook} (width ${d})`, `${field}.target.${unitName}`);
    }
    const selected = new Float32Array(d);
    for (const n of neurons) selected[n] = 1;
    const sel = tf.tensor1d(selected); // [d]
    let edited: tf.Tensor;
    if (iv.kind === 'add') {
      edited = act.add(sel.mul(iv.value ?? 0));
    } else {
      const replacement = new Float32Array(d);
      if (iv.kind === 'clamp') for (const n of neurons) replacement[n] = iv.value ?? 0;
      if (iv.kind === 'ablate-mean') {
        const mean = checkedMean(iv, d, field, ctx.hook);
        for (const n of neurons) replacement[n] = mean[n] ?? 0;
      }
      edited = act.mul(tf.scalar(1).sub(sel)).add(tf.tensor1d(replacement));
    }
    return atPositions(act, edited, iv.positions, ctx);
  };
}

function vectorEdit(iv: Intervention, vector: number[], field: string): HookFn {
  return (act, ctx) => {
    const d = lastDim(act);
    if (vector.length !== d) {
      throw new FeaturescopeError('invalid_input', `${field}.target.vector: length ${vector.length} does not match ${ctx.hook} (width ${d})`, `${field}.target.vector`);
    }
    const v = tf.tensor1d(vector); // [d]
    if (iv.kind === 'add') return atPositions(act, act.add(v.mul(iv.value ?? 1)), iv.positions, ctx);
    const norm = Math.hypot(...vector);
    if (norm === 0) throw new FeaturescopeError('invalid_input', `${field}.target.vector: a zero vector has no direction to ${iv.kind}`, `${field}.target.vector`);
    const unit = v.div(norm); // [d]
    const along = act.mul(unit).sum(-1, true); // [..., 1] component of act along the direction
    let target: tf.Tensor;
    if (iv.kind === 'ablate-zero') target = tf.scalar(0);
    else if (iv.kind === 'clamp') target = tf.scalar(iv.value ?? 0);
    else {
      const mean = checkedMean(iv, d, field, ctx.hook);
      target = tf.tensor1d(mean).mul(unit).sum();
    }
    return atPositions(act, act.add(target.sub(along).mul(unit)), iv.positions, ctx);
  };
}

function checkedMean(iv: Intervention, d: number, field: string, hook: string): number[] {
  const mean = iv.mean ?? [];
  if (mean.length !== d) {
    throw new FeaturescopeError('invalid_input', `${field}.mean: length ${mean.length} does not match ${hook} (width ${d})`, `${field}.mean`);
  }
  return mean;
}

/** Keeps `edited` only at the chosen sequence positions (axis 1), `act` elsewhere. */
function atPositions(act: tf.Tensor, edited: tf.Tensor, positions: number[] | undefined, ctx: HookContext): tf.Tensor {
  if (positions === undefined) return edited;
  const T = act.shape[1] ?? 1;
  const chosen = new Set(positions);
  const flags = new Uint8Array(T);
  let any = false;
  for (let t = 0; t < T; t++) {
    if (chosen.has(ctx.positionOffset + t)) {
      flags[t] = 1;
      any = true;
    }
  }
  if (!any) return act;
  const shape = act.shape.map((_, axis) => (axis === 1 ? T : 1));
  const cond = tf.tensor(flags, shape, 'bool').broadcastTo(act.shape); // [batch, pos, d]
  return tf.where(cond, edited, act);
}
