// The inner loops of the JS kernels for tfjs-backend-wasm, each over a range [lo, hi) of its
// output so that kernelThreads.ts can hand ranges to helper threads sharing the wasm heap.
//
// Every loop is one self-contained function: it is sent to the helper threads as source text
// (Function.prototype.toString), so it may use nothing outside its own body — no imports, no
// module constants, no nested functions. F and I are float32 and int32 views over the whole heap;
// `a` holds element offsets into them (byte offset / 4) and the loop's sizes and scalars.
//
// Each output element is written by exactly one range and, within it, in the same order as a
// single-threaded run, so the result does not depend on how the work is split.

export type RangeLoop = (F: Float32Array, I: Int32Array, a: readonly number[], lo: number, hi: number) => void;

/**
 * dst[dstIdx[m]] += vals[m] · src[srcIdx[m]] over rows of length d, for destination rows in
 * [lo, hi), which it zeroes first. a = [dst, dstIdx, src, srcIdx, vals, M, d].
 * Each thread scans all M entries and keeps its own rows, so rows never race.
 */
function scatterAxpyRows(F: Float32Array, I: Int32Array, a: readonly number[], lo: number, hi: number): void {
  const dst = a[0]!, dstIdx = a[1]!, src = a[2]!, srcIdx = a[3]!, vals = a[4]!, M = a[5]!, d = a[6]!;
  F.fill(0, dst + lo * d, dst + hi * d);
  for (let m = 0; m < M; m++) {
    const r = I[dstIdx + m]!;
    if (r < lo || r >= hi) continue;
    const v = F[vals + m]!;
    if (v === 0) continue;
    const ob = dst + r * d;
    const sb = src + I[srcIdx + m]! * d;
    for (let j = 0; j < d; j++) F[ob + j] = F[ob + j]! + v * F[sb + j]!;
  }
}

/** out[m] = W[cols[m]] · V[rows[m]] for m in [lo, hi). a = [out, W, V, rows, cols, d]. */
function rowDots(F: Float32Array, I: Int32Array, a: readonly number[], lo: number, hi: number): void {
  const out = a[0]!, W = a[1]!, V = a[2]!, rows = a[3]!, cols = a[4]!, d = a[5]!;
  for (let m = lo; m < hi; m++) {
    const vb = V + I[rows + m]! * d;
    const wb = W + I[cols + m]! * d;
    let s = 0;
    for (let j = 0; j < d; j++) s += F[wb + j]! * F[vb + j]!;
    F[out + m] = s;
  }
}

/**
 * Adam over elements [lo, hi). a = [p, g, m, v, pOut, mOut, vOut, beta1, beta2, stepSize, epsHat].
 * m' = β1m + (1−β1)g, v' = β2v + (1−β2)g², p' = p − stepSize·m'/(√v' + epsHat).
 */
function adam(F: Float32Array, _I: Int32Array, a: readonly number[], lo: number, hi: number): void {
  const p = a[0]!, g = a[1]!, m = a[2]!, v = a[3]!, p2 = a[4]!, m2 = a[5]!, v2 = a[6]!;
  const beta1 = a[7]!, beta2 = a[8]!, stepSize = a[9]!, epsHat = a[10]!;
  const c1 = 1 - beta1, c2 = 1 - beta2;
  for (let i = lo; i < hi; i++) {
    const gi = F[g + i]!;
    const mi = beta1 * F[m + i]! + c1 * gi;
    const vi = beta2 * F[v + i]! + c2 * gi * gi;
    F[m2 + i] = mi;
    F[v2 + i] = vi;
    F[p2 + i] = F[p + i]! - (stepSize * mi) / (Math.sqrt(vi) + epsHat);
  }
}

/**
 * Adam for a [R, C] parameter whose gradient is given as its [C, R] transpose, over parameter
 * rows [lo, hi), walked in square tiles so both layouts stay in cache. a = as adam, then R, C.
 */
function adamTransposedGrad(F: Float32Array, _I: Int32Array, a: readonly number[], lo: number, hi: number): void {
  const p = a[0]!, g = a[1]!, m = a[2]!, v = a[3]!, p2 = a[4]!, m2 = a[5]!, v2 = a[6]!;
  const beta1 = a[7]!, beta2 = a[8]!, stepSize = a[9]!, epsHat = a[10]!, R = a[11]!, C = a[12]!;
  const c1 = 1 - beta1, c2 = 1 - beta2;
  const T = 64;
  for (let r0 = lo; r0 < hi; r0 += T) {
    const r1 = Math.min(hi, r0 + T);
    for (let c0 = 0; c0 < C; c0 += T) {
      const cEnd = Math.min(C, c0 + T);
      for (let r = r0; r < r1; r++) {
        const rowBase = r * C;
        for (let c = c0; c < cEnd; c++) {
          const i = rowBase + c;
          const gi = F[g + c * R + r]!;
          const mi = beta1 * F[m + i]! + c1 * gi;
          const vi = beta2 * F[v + i]! + c2 * gi * gi;
          F[m2 + i] = mi;
          F[v2 + i] = vi;
          F[p2 + i] = F[p + i]! - (stepSize * mi) / (Math.sqrt(vi) + epsHat);
        }
      }
    }
  }
}

/** out = G − (G·û)û per row r in [lo, hi), û = W/max(‖W‖, minNorm). a = [G, W, out, d, minNorm]. */
function projectOutRows(F: Float32Array, _I: Int32Array, a: readonly number[], lo: number, hi: number): void {
  const G = a[0]!, W = a[1]!, o = a[2]!, d = a[3]!, minNorm = a[4]!;
  for (let r = lo; r < hi; r++) {
    const b = r * d;
    let ww = 0, gw = 0;
    for (let j = 0; j < d; j++) {
      const w = F[W + b + j]!;
      ww += w * w;
      gw += F[G + b + j]! * w;
    }
    // (G·û)û = (G·w)/max(‖w‖, ε)² · w
    const norm = Math.max(Math.sqrt(ww), minNorm);
    const f = gw / (norm * norm);
    for (let j = 0; j < d; j++) F[o + b + j] = F[G + b + j]! - f * F[W + b + j]!;
  }
}

/** out = W / max(‖W‖, minNorm) per row r in [lo, hi). a = [W, out, d, minNorm]. */
function normalizeRows(F: Float32Array, _I: Int32Array, a: readonly number[], lo: number, hi: number): void {
  const W = a[0]!, o = a[1]!, d = a[2]!, minNorm = a[3]!;
  for (let r = lo; r < hi; r++) {
    const b = r * d;
    let ww = 0;
    for (let j = 0; j < d; j++) ww += F[W + b + j]! * F[W + b + j]!;
    const inv = 1 / Math.max(Math.sqrt(ww), minNorm);
    for (let j = 0; j < d; j++) F[o + b + j] = F[W + b + j]! * inv;
  }
}

/**
 * Per row r in [lo, hi): the k largest of pre[r] + bias over columns with mask = 1 (all when
 * mask < 0), descending, ties to the lower column. a = [pre, bias, mask, outV, outI, n, k].
 * One pass per row keeping a sorted list of the k best: about n compares per row.
 */
function topKRows(F: Float32Array, I: Int32Array, a: readonly number[], lo: number, hi: number): void {
  const pre = a[0]!, bias = a[1]!, mask = a[2]!, outV = a[3]!, outI = a[4]!, n = a[5]!, k = a[6]!;
  const topV = new Float32Array(k);
  const topI = new Int32Array(k);
  for (let r = lo; r < hi; r++) {
    const base = pre + r * n;
    let count = 0;
    let floor = -Infinity; // the k-th best so far once count = k
    for (let j = 0; j < n; j++) {
      if (mask >= 0 && F[mask + j] !== 1) continue;
      const v = Math.fround(F[base + j]! + F[bias + j]!);
      if (count === k && !(v > floor)) continue;
      // Insert after every kept value ≥ v, so ties keep the lower column first.
      let pos = count === k ? k - 1 : count++;
      while (pos > 0 && topV[pos - 1]! < v) {
        topV[pos] = topV[pos - 1]!;
        topI[pos] = topI[pos - 1]!;
        pos--;
      }
      topV[pos] = v;
      topI[pos] = j;
      if (count === k) floor = topV[k - 1]!;
    }
    F.set(topV, outV + r * k);
    I.set(topI, outI + r * k);
  }
}

export const RANGE_LOOPS = { scatterAxpyRows, rowDots, adam, adamTransposedGrad, projectOutRows, normalizeRows, topKRows } as const satisfies Record<
  string,
  RangeLoop
>;

export type RangeLoopName = keyof typeof RANGE_LOOPS;
