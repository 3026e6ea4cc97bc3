// [rows, cols] → [cols, rows] for row-major f32 arrays, in 64×64 blocks so both the reads and the
// writes stay within a few cache lines (a plain double loop strides by `rows` on every write).

const BLOCK = 64;

export function transposeRows(src: Float32Array, rows: number, cols: number): Float32Array {
  if (src.length !== rows * cols) throw new Error(`internal: transposeRows got ${src.length} values for [${rows}, ${cols}]`);
  const out = new Float32Array(src.length);
  for (let i0 = 0; i0 < rows; i0 += BLOCK) {
    const i1 = Math.min(i0 + BLOCK, rows);
    for (let j0 = 0; j0 < cols; j0 += BLOCK) {
      const j1 = Math.min(j0 + BLOCK, cols);
      for (let i = i0; i < i1; i++) {
        const from = i * cols;
        for (let j = j0; j < j1; j++) out[j * rows + i] = src[from + j]!;
      }
    }
  }
  return out;
}
