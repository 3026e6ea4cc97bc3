// The fused Adam step and the decoder-row kernels (wasm) and their tfjs fallbacks against the
// formulas evaluated element by element here in float64.
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setSparseImpl } from '../../../src/engine/sae/sparse/sparseOps';
import { adamStep, normalizeRows, projectOutRows } from '../../../src/engine/sae/train/updateKernels';
import { kernelsAvailable, maxAbsDiff, seededFloats, useEngineBackend } from './helpers/backend';

beforeAll(useEngineBackend);
afterEach(() => setSparseImpl('auto'));

const R = 70, C = 130; // not multiples of the kernel's 64-wide tiles

describe.each(['kernel', 'fallback'] as const)('update kernels (%s)', (impl) => {
  it('adamStep equals the Adam formulas, with the gradient given plainly or transposed', (ctx) => {
    if (impl === 'kernel' && !kernelsAvailable()) ctx.skip();
    setSparseImpl(impl);
    const p = seededFloats(R * C, 1), g = seededFloats(R * C, 2), m = seededFloats(R * C, 3).map((v) => v * 0.1);
    const v = seededFloats(R * C, 4).map((x) => x * x * 0.01);
    const attrs = { beta1: 0.9, beta2: 0.999, stepSize: 3e-3, epsHat: 1e-8 };
    const wantP = new Float64Array(R * C), wantM = new Float64Array(R * C), wantV = new Float64Array(R * C);
    for (let i = 0; i < R * C; i++) {
      wantM[i] = 0.9 * m[i]! + 0.1 * g[i]!;
      wantV[i] = 0.999 * v[i]! + 0.001 * g[i]! ** 2;
      wantP[i] = p[i]! - (3e-3 * wantM[i]!) / (Math.sqrt(wantV[i]!) + 1e-8);
    }
    const gT = tf.transpose(tf.tensor2d(g, [R, C]));
    for (const [grad, transposed] of [[tf.tensor2d(g, [R, C]), false], [gT, true]] as const) {
      const out = adamStep(tf.tensor2d(p, [R, C]), grad, tf.tensor2d(m, [R, C]), tf.tensor2d(v, [R, C]), attrs, transposed);
      expect(out.p.shape).toEqual([R, C]);
      expect(maxAbsDiff(out.m.dataSync(), wantM)).toBeLessThan(1e-6);
      expect(maxAbsDiff(out.v.dataSync(), wantV)).toBeLessThan(1e-7);
      expect(maxAbsDiff(out.p.dataSync(), wantP)).toBeLessThan(1e-5);
      // The update is not trivially small: parameters move by up to ~stepSize.
      expect(maxAbsDiff(out.p.dataSync(), p)).toBeGreaterThan(1e-3);
    }
  });

  it('projectOutRows removes each row’s component along W; normalizeRows gives unit rows', (ctx) => {
    if (impl === 'kernel' && !kernelsAvailable()) ctx.skip();
    setSparseImpl(impl);
    const G = seededFloats(R * C, 5), W = seededFloats(R * C, 6).map((x) => x * 3);
    W.fill(0, 0, C); // a zero row stays finite (norm floored at 1e-12)
    const wantProj = new Float64Array(R * C), wantNorm = new Float64Array(R * C);
    for (let r = 0; r < R; r++) {
      let ww = 0, gw = 0;
      for (let j = 0; j < C; j++) (ww += W[r * C + j]! ** 2), (gw += G[r * C + j]! * W[r * C + j]!);
      const norm = Math.max(Math.sqrt(ww), 1e-12);
      for (let j = 0; j < C; j++) {
        wantProj[r * C + j] = G[r * C + j]! - (gw / norm ** 2) * W[r * C + j]!;
        wantNorm[r * C + j] = W[r * C + j]! / norm;
      }
    }
    const proj = projectOutRows(tf.tensor2d(G, [R, C]), tf.tensor2d(W, [R, C]));
    expect(maxAbsDiff(proj.dataSync(), wantProj)).toBeLessThan(1e-5);
    const dots = tf.sum(tf.mul(proj, tf.tensor2d(W, [R, C])), 1).dataSync();
    expect(Math.max(...Array.from(dots).map(Math.abs))).toBeLessThan(1e-3);
    expect(maxAbsDiff(normalizeRows(tf.tensor2d(W, [R, C])).dataSync(), wantNorm)).toBeLessThan(1e-6);
  });
});
