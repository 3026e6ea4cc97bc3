// Pooled unit activations of both sides of every pair at the positions the audit compares
// (positions.ts): one forward per prompt capturing every audited hook, PROMPTS_PER_STEP prompts
// between progress reports.

import * as tf from '@tensorflow/tfjs';
import { captureUnits } from '../attribution/runs';
import type { SiteHook } from '../attribution/sites';
import type { LoadedModel } from '../model/load';
import type { ProbePooling } from '../probes';
import type { TokenPair } from './audit';
import { comparedPositions, type AuditPositions, type PairAlignment } from './positions';

/** Prompts run per step between progress reports. */
export const PROMPTS_PER_STEP = 16;

/** One hook's pooled activations: [pairs, width] row-major per side. */
export interface HookSides {
  hook: string;
  unitKind: 'neuron' | 'sae-feature';
  width: number;
  a: Float64Array;
  b: Float64Array;
}

/** Pools [1, pos, width] units over the compared positions (contiguous: the shared suffix or all). */
function pooled(units: tf.Tensor, at: number[], pooling: ProbePooling): Float32Array {
  const width = units.shape[2] as number;
  const first = pooling === 'last' ? (at[at.length - 1] as number) : (at[0] as number);
  const count = pooling === 'last' ? 1 : at.length;
  return tf.tidy(() => units.slice([0, first, 0], [1, count, width]).mean([0, 1]).dataSync() as Float32Array);
}

/**
 * Yields the prompts run after each chunk (side a's prompts, then side b's), so a driver can report
 * progress, yield or stop there; returns every hook's pooled activations.
 */
export function* pooledSideSteps(model: LoadedModel, pairs: TokenPair[], alignments: PairAlignment[], sites: SiteHook[], positions: AuditPositions, pooling: ProbePooling): Generator<number, HookSides[]> {
  const out: HookSides[] = sites.map((s) => ({ hook: s.hook, unitKind: s.unitKind, width: s.width, a: new Float64Array(pairs.length * s.width), b: new Float64Array(pairs.length * s.width) }));
  for (const side of ['a', 'b'] as const) {
    for (let start = 0; start < pairs.length; start += PROMPTS_PER_STEP) {
      const end = Math.min(pairs.length, start + PROMPTS_PER_STEP);
      for (let i = start; i < end; i++) {
        const tokens = (pairs[i] as TokenPair)[side];
        const at = comparedPositions(tokens.length, alignments[i] as PairAlignment, positions);
        tf.tidy(() => {
          const { units } = captureUnits(model, tokens, sites);
          units.forEach((u, k) => {
            const hook = out[k] as HookSides;
            hook[side].set(pooled(u, at, pooling), i * hook.width);
          });
        });
      }
      yield end - start;
    }
  }
  return out;
}

/** pooledSideSteps run to the end (a replay: nothing to report). */
export function pooledSides(...args: Parameters<typeof pooledSideSteps>): HookSides[] {
  const steps = pooledSideSteps(...args);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}
