// Intervention semantics on small activations, checked against values worked out by hand.

import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../src/engine/backend';
import { compileInterventions, type HookFn } from '../../../src/engine/model/interventions';
import { FeaturescopeError } from '../../../src/shared/errors';
import { errorOf } from '../error-of';

// [batch 1, pos 3, width 4]
const ACT = [
  [
    [1, 2, 3, 4],
    [5, 6, 7, 8],
    [9, 10, 11, 12],
  ],
];

function apply(iv: unknown, positionOffset = 0, act: number[][][] = ACT): number[][][] {
  const [binding] = compileInterventions([iv]);
  if (binding === undefined) throw new Error('no binding');
  return tf.tidy(() => binding.fn(tf.tensor3d(act), { hook: binding.hook, positionOffset }).arraySync() as number[][][]);
}

function closeTo(actual: number[][][], expected: number[][][]): void {
  expect(actual.flat(2).length).toBe(expected.flat(2).length);
  actual.flat(2).forEach((v, i) => expect(v).toBeCloseTo(expected.flat(2)[i] ?? NaN, 5));
}

const hook = 'blocks.0.hook_resid_post';

describe('interventions', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', threads: 1 });
  });

  it('ablate-zero on neurons zeroes exactly those units everywhere', () => {
    expect(apply({ hook, kind: 'ablate-zero', target: { neurons: [1, 3] } })).toEqual([
      [
        [1, 0, 3, 0],
        [5, 0, 7, 0],
        [9, 0, 11, 0],
      ],
    ]);
  });

  it('ablate-mean sets units to their entry of the mean vector; clamp to the value; add shifts', () => {
    expect(apply({ hook, kind: 'ablate-mean', target: { neurons: [0] }, mean: [-1, -2, -3, -4] })[0]?.map((r) => r[0])).toEqual([-1, -1, -1]);
    expect(apply({ hook, kind: 'clamp', target: { neurons: [2] }, value: 7.5 })[0]?.map((r) => r[2])).toEqual([7.5, 7.5, 7.5]);
    expect(apply({ hook, kind: 'add', target: { neurons: [3] }, value: -2 })[0]?.map((r) => r[3])).toEqual([2, 6, 10]);
  });

  it('positions select sequence indices, counting from the step offset during generation', () => {
    const zeroAt1 = { hook, kind: 'ablate-zero', target: { neurons: [0, 1, 2, 3] }, positions: [1] };
    expect(apply(zeroAt1)).toEqual([[[1, 2, 3, 4], [0, 0, 0, 0], [9, 10, 11, 12]]]);
    // A generation step whose first position is absolute index 1: its row 0 is position 1.
    expect(apply(zeroAt1, 1)).toEqual([[[0, 0, 0, 0], [5, 6, 7, 8], [9, 10, 11, 12]]]);
    expect(apply(zeroAt1, 5)).toEqual(ACT);
  });

  it('vector add adds value × vector (value defaults to 1)', () => {
    closeTo(apply({ hook, kind: 'add', target: { vector: [1, 0, -1, 0.5] } }), ACT.map((b) => b.map((r) => [r[0]! + 1, r[1]!, r[2]! - 1, r[3]! + 0.5])));
    closeTo(apply({ hook, kind: 'add', target: { vector: [1, 0, 0, 0] }, value: 3, positions: [0] }), [[[4, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]]);
  });

  it('vector ablate-zero removes the component along the direction; clamp sets it; ablate-mean sets it to the mean’s', () => {
    const dir = [0, 3, 0, 4]; // unit (0, .6, 0, .8)
    const along = (r: number[]): number => 0.6 * r[1]! + 0.8 * r[3]!;
    const zero = apply({ hook, kind: 'ablate-zero', target: { vector: dir } });
    zero[0]!.forEach((r) => expect(along(r)).toBeCloseTo(0, 5));
    closeTo(zero.map((b) => b.map((r) => [r[0]!, r[2]!])) as unknown as number[][][], ACT.map((b) => b.map((r) => [r[0]!, r[2]!])) as unknown as number[][][]);
    apply({ hook, kind: 'clamp', target: { vector: dir }, value: 2 })[0]!.forEach((r) => expect(along(r)).toBeCloseTo(2, 5));
    apply({ hook, kind: 'ablate-mean', target: { vector: dir }, mean: [0, 10, 0, 5] })[0]!.forEach((r) => expect(along(r)).toBeCloseTo(10, 5));
  });

  it('rejects malformed interventions with invalid_input naming the field', () => {
    const cases: [unknown, string][] = [
      [{ hook, kind: 'clamp', target: { neurons: [0] } }, 'interventions.0.value'],
      [{ hook, kind: 'ablate-mean', target: { neurons: [0] } }, 'interventions.0.mean'],
      [{ hook, kind: 'explode', target: { neurons: [0] } }, 'interventions.0.kind'],
      [{ hook, kind: 'ablate-zero', target: { neurons: [-1] } }, 'interventions.0.target'],
      [{ hook, kind: 'ablate-zero', target: { neurons: [0] }, extra: 1 }, 'interventions.0'],
    ];
    for (const [iv, field] of cases) {
      const err = errorOf(() => compileInterventions([iv]));
      expect(err.code).toBe('invalid_input');
      expect(err.field?.startsWith(field), `${err.field} starts with ${field}`).toBe(true);
    }
    expect(errorOf(() => apply({ hook, kind: 'ablate-zero', target: { neurons: [4] } })).field).toBe('interventions.0.target.neurons');
    expect(errorOf(() => apply({ hook, kind: 'add', target: { vector: [1, 2] } })).field).toBe('interventions.0.target.vector');
    expect(errorOf(() => apply({ hook, kind: 'ablate-mean', target: { neurons: [0] }, mean: [1] })).field).toBe('interventions.0.mean');
  });

  it('routes SAE-feature interventions to the SAE module’s handler, and refuses them without one', () => {
    const iv = { hook, kind: 'ablate-zero', target: { saeFeatures: [3] } };
    expect(errorOf(() => compileInterventions([iv])).code).toBe('unsupported');
    const seen: unknown[] = [];
    const doubler: HookFn = (act) => act.mul(2);
    const [binding] = compileInterventions([iv], (parsed, field) => {
      seen.push([parsed, field]);
      return doubler;
    });
    expect(seen).toEqual([[iv, 'interventions.0']]);
    expect(binding?.hook).toBe(hook);
    expect(binding?.fn).toBe(doubler);
  });
});
