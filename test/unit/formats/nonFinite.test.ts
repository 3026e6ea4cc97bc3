// Issue #19 finding 9: NaN/±Inf in stored weights are refused while each tensor is widened to f32
// (one pass), naming the file, the tensor and the first offending element; allowNonFinite keeps them.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { f64ToF32Finite, firstNonFiniteF32 } from '../../../src/engine/formats/finite';
import { bf16ToF32Finite, f16ToF32Finite } from '../../../src/engine/formats/halfFloat';
import { SafetensorsFile, type TensorToWrite, writeSafetensors } from '../../../src/engine/formats/safetensors';
import { WeightStore } from '../../../src/engine/formats/sharded';

const work = mkdtempSync(join(tmpdir(), 'fs-nonfinite-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const F16_ONE = 0x3c00;
const BF16_ONE = 0x3f80;

/** A [2, 3] tensor of ones in `dtype` with `special` at element [1, 2] (flat 5), if given. */
function tensor(dtype: 'F32' | 'F16' | 'BF16', special?: 'nan' | 'inf' | '-inf'): TensorToWrite {
  if (dtype === 'F32') {
    const data = new Float32Array(6).fill(1);
    if (special) data[5] = special === 'nan' ? NaN : special === 'inf' ? Infinity : -Infinity;
    return { name: 'w', dtype, shape: [2, 3], data };
  }
  const data = new Uint16Array(6).fill(dtype === 'F16' ? F16_ONE : BF16_ONE);
  const bits = dtype === 'F16' ? { nan: 0x7e00, inf: 0x7c00, '-inf': 0xfc00 } : { nan: 0x7fc0, inf: 0x7f80, '-inf': 0xff80 };
  if (special) data[5] = bits[special];
  return { name: 'w', dtype, shape: [2, 3], data };
}

function fileWith(t: TensorToWrite): string {
  const path = join(work, `${t.dtype}-${Math.random().toString(36).slice(2)}.safetensors`);
  writeSafetensors(path, [t]);
  return path;
}

describe('readFloat32 refuses NaN/Inf unless allowed', () => {
  const specials: Array<['nan' | 'inf' | '-inf', string]> = [
    ['nan', 'NaN'],
    ['inf', '+Inf'],
    ['-inf', '−Inf'],
  ];
  for (const dtype of ['F32', 'F16', 'BF16'] as const) {
    for (const [special, shown] of specials) {
      it(`${dtype} ${shown}`, () => {
        const path = fileWith(tensor(dtype, special));
        const f = SafetensorsFile.open(path);
        try {
          expect(() => f.readFloat32('w')).toThrowError(
            expect.objectContaining({ code: 'bad_file', message: `${path}: tensor "w" holds ${shown} at element [1, 2] (flat index 5); weights must be finite numbers` }),
          );
          const kept = f.readFloat32('w', { allowNonFinite: true });
          expect(Array.from(kept.subarray(0, 5))).toEqual([1, 1, 1, 1, 1]);
          expect(Number.isFinite(kept[5])).toBe(false);
        } finally {
          f.close();
        }
      });
    }
  }

  it('F64 values that overflow f32 are refused too (they would become Inf)', () => {
    // writeSafetensors does not write F64; the file is built by hand.
    const path = join(work, 'f64.safetensors');
    const header = Buffer.from(JSON.stringify({ w: { dtype: 'F64', shape: [2], data_offsets: [0, 16] } }).padEnd(64, ' '));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(header.length));
    const data = Buffer.from(Float64Array.from([1, 1e300]).buffer);
    writeFileSync(path, Buffer.concat([length, header, data]));
    const f = SafetensorsFile.open(path);
    try {
      expect(() => f.readFloat32('w')).toThrowError(/tensor "w" holds 1e\+300 \(beyond float32's range, so Inf\) at element \[1\]/);
      expect(Array.from(f.readFloat32('w', { allowNonFinite: true }))).toEqual([1, Infinity]);
    } finally {
      f.close();
    }
  });

  it('finite tensors read as before, bit-exactly, in every dtype', () => {
    for (const dtype of ['F32', 'F16', 'BF16'] as const) {
      const f = SafetensorsFile.open(fileWith(tensor(dtype)));
      expect(Array.from(f.readFloat32('w'))).toEqual([1, 1, 1, 1, 1, 1]);
      f.close();
    }
  });

  it('a model folder store refuses by default, says how to allow, and allows when opened so', () => {
    const dir = mkdtempSync(join(work, 'model-'));
    writeSafetensors(join(dir, 'model.safetensors'), [tensor('BF16', 'nan')]);
    const strict = WeightStore.open(dir);
    expect(() => strict.readFloat32('w')).toThrowError(/holds NaN at element \[1, 2\].*; to run this model anyway, use featurescope run --allow-non-finite \(allowNonFinite: true in model.run\)/);
    strict.close();
    const lenient = WeightStore.open(dir, { allowNonFinite: true });
    expect(Number.isNaN(lenient.readFloat32('w')[5])).toBe(true);
    lenient.close();
  });
});

describe('the single-pass scans', () => {
  it('find the first non-finite element and stop there', () => {
    const a = Float32Array.from([0, -0, 3.4e38, -1e-45, NaN, Infinity]);
    expect(firstNonFiniteF32(a)).toBe(4);
    expect(firstNonFiniteF32(a.subarray(0, 4))).toBe(-1);
    const out = new Float32Array(4);
    expect(f16ToF32Finite(Uint16Array.from([F16_ONE, 0x7bff, 0xfc00, F16_ONE]), out)).toBe(2);
    expect(out[1]).toBe(65504); // largest f16 is finite
    expect(bf16ToF32Finite(Uint16Array.from([BF16_ONE, 0x7f7f, 0x7fc1]), new Float32Array(3))).toBe(2);
    expect(f64ToF32Finite(Float64Array.from([1, 3.4e38, 3.5e38]), new Float32Array(3))).toBe(2);
  });
});
