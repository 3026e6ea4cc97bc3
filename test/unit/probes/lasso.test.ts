// The lasso solver against an independent torch reference (proximal Newton + coordinate descent,
// scripts/reference/lasso_reference.py) on a committed dataset, its optimality conditions, and
// the path's shape.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fitLassoPath } from '../../../src/engine/probes/lasso';
import { FeaturescopeError } from '../../../src/shared/errors';

interface ReferenceFit {
  lambda: number;
  intercept: number;
  coef: number[];
  coefRaw: number[];
  interceptRaw: number;
  objective: number;
}
const REF = JSON.parse(readFileSync(resolve(__dirname, '../../fixtures/probes/lasso_reference.json'), 'utf8')) as {
  n: number;
  d: number;
  x: number[];
  y: number[];
  lambdaMax: number;
  fits: ReferenceFit[];
};

describe('L1 logistic regression', () => {
  const data = { x: Float64Array.from(REF.x), n: REF.n, d: REF.d, y: REF.y };

  it('matches the torch reference coefficients at every λ of the path (standardised and raw units)', () => {
    const path = fitLassoPath(data, { lambdas: REF.fits.map((f) => f.lambda) });
    expect(path.lambdaMax).toBeCloseTo(REF.lambdaMax, 12);
    REF.fits.forEach((ref, k) => {
      const fit = path.fits[k];
      if (fit === undefined) throw new Error('missing fit');
      expect(fit.converged).toBe(true);
      expect(fit.lambda).toBe(ref.lambda);
      expect(Math.abs(fit.intercept - ref.intercept)).toBeLessThan(1e-5);
      ref.coef.forEach((c, j) => {
        expect(Math.abs((fit.coef[j] as number) - c)).toBeLessThan(1e-5);
        // Same zero pattern: the reference's exact zeros are zeros here too.
        expect(fit.coef[j] === 0).toBe(c === 0);
      });
      ref.coefRaw.forEach((c, j) => expect(Math.abs((fit.coefRaw[j] as number) - c)).toBeLessThan(1e-4 * Math.max(1, Math.abs(c))));
      expect(Math.abs(fit.interceptRaw - ref.interceptRaw)).toBeLessThan(1e-4);
      expect(fit.objective).toBeCloseTo(ref.objective, 9);
    });
  });

  it('starts empty at λ_max, grows its active set down a log grid, and lists active features largest first', () => {
    const path = fitLassoPath(data, { nLambdas: 12, lambdaMinRatio: 0.01 });
    expect(path.fits).toHaveLength(12);
    expect(path.fits[0]?.lambda).toBeCloseTo(path.lambdaMax, 12);
    expect(path.fits[0]?.active).toEqual([]);
    expect(path.fits[11]?.lambda).toBeCloseTo(path.lambdaMax * 0.01, 12);
    expect(path.fits[11]?.active.length).toBeGreaterThan(5);
    for (const fit of path.fits) {
      const sizes = fit.active.map((j) => Math.abs(fit.coef[j] as number));
      expect([...sizes].sort((a, b) => b - a)).toEqual(sizes);
    }
    // The informative columns of the generator (1, 2, 6) enter first.
    const firstThree = path.fits.find((f) => f.active.length >= 3)?.active.slice(0, 3).sort();
    expect(firstThree).toEqual([1, 2, 6]);
  });

  it('rejects one-class labels and ragged input by field', () => {
    const fieldOf = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (err) {
        if (err instanceof FeaturescopeError) return err.field;
        throw err;
      }
      throw new Error('expected a FeaturescopeError');
    };
    expect(fieldOf(() => fitLassoPath({ ...data, y: data.y.map(() => 1) }))).toBe('labels');
    expect(fieldOf(() => fitLassoPath({ ...data, x: data.x.subarray(1) }))).toBe('x');
    expect(fieldOf(() => fitLassoPath(data, { lambdas: [0.1, -1] }))).toBe('lambdas');
  });
});
