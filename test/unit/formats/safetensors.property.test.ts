import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { FeaturescopeError } from '../../../src/shared/errors';
import { SafetensorsFile, TensorEntry, writeSafetensors } from '../../../src/engine/formats/safetensors';

const work = mkdtempSync(join(tmpdir(), 'fs-st-prop-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const validPath = join(work, 'valid.safetensors');
writeSafetensors(
  validPath,
  [
    { name: 'w', dtype: 'F32', shape: [3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
    { name: 'h', dtype: 'F16', shape: [4], data: Uint16Array.from([0x3c00, 0x0001, 0x7c00, 0x7e00]) },
    { name: 'b', dtype: 'BF16', shape: [2], data: Uint16Array.from([0x3f80, 0x8000]) },
    { name: 'i', dtype: 'I64', shape: [1], data: BigInt64Array.from([-3n]) },
  ],
  { format: 'pt' },
);
const valid = new Uint8Array(readFileSync(validPath));
const dataStart = 8 + Number(Buffer.from(valid).readBigUInt64LE(0));

function describeFile(f: SafetensorsFile): Array<Omit<TensorEntry, never>> {
  return [...f.tensors.values()].map((e) => ({ ...e, shape: [...e.shape] }));
}
const original = (() => {
  const f = SafetensorsFile.open(validPath);
  const d = describeFile(f);
  f.close();
  return d;
})();

type Mutation =
  | { kind: 'flip'; at: number; value: number }
  | { kind: 'truncate'; length: number }
  | { kind: 'insert'; at: number; value: number };

function apply(bytes: Uint8Array, mutations: Mutation[]): { bytes: Uint8Array; headerTouched: boolean } {
  let b = bytes;
  let headerTouched = false;
  for (const m of mutations) {
    if (m.kind === 'flip') {
      const at = m.at % b.length;
      if (at < dataStart) headerTouched = true;
      b = b.slice();
      b[at] = m.value;
    } else if (m.kind === 'truncate') {
      b = b.slice(0, m.length % (b.length + 1));
      headerTouched = true; // length changes are structural
    } else {
      const at = m.at % (b.length + 1);
      const out = new Uint8Array(b.length + 1);
      out.set(b.subarray(0, at), 0);
      out[at] = m.value;
      out.set(b.subarray(at), at + 1);
      b = out;
      headerTouched = true;
    }
  }
  return { bytes: b, headerTouched };
}

const byte = fc.integer({ min: 0, max: 255 });
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // anywhere in the header, including the length prefix and the space padding
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.integer({ min: 0, max: dataStart - 1 }), value: byte }) },
  // in the data section: must parse to the same tensors
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.integer({ min: dataStart, max: valid.length - 1 }), value: byte }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), length: fc.integer({ min: 0, max: valid.length }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fc.integer({ min: 0, max: valid.length }), value: byte }) },
);

describe('safetensors under random byte mutations', () => {
  it('either parses (same tensors when only data bytes changed) or throws bad_file — nothing else', () => {
    let counter = 0;
    let parsed = 0;
    let rejected = 0;
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => {
        const { bytes, headerTouched } = apply(valid, mutations);
        const p = join(work, `m${counter++ % 8}.safetensors`);
        writeFileSync(p, bytes);
        let f: SafetensorsFile;
        try {
          f = SafetensorsFile.open(p);
        } catch (err) {
          expect(err).toBeInstanceOf(FeaturescopeError);
          expect((err as FeaturescopeError).code).toBe('bad_file');
          expect((err as FeaturescopeError).message).toContain(p);
          rejected++;
          return;
        }
        parsed++;
        try {
          if (!headerTouched) expect(describeFile(f)).toEqual(original);
          // Whatever parsed must be fully readable.
          for (const e of f.tensors.values()) {
            const raw = f.readRaw(e.name);
            expect(raw.length).toBe(e.end - e.begin);
            if (e.dtype === 'F32' || e.dtype === 'F16' || e.dtype === 'BF16' || e.dtype === 'F64') {
              const all = f.readFloat32(e.name, { allowNonFinite: true });
              // By default NaN/±Inf (the fixture's F16 holds both) are refused as bad_file naming the tensor.
              if (all.every(Number.isFinite)) f.readFloat32(e.name);
              else expect(() => f.readFloat32(e.name)).toThrowError(expect.objectContaining({ code: 'bad_file', message: expect.stringContaining(`tensor ${JSON.stringify(e.name)} holds`) }));
            }
          }
        } finally {
          f.close();
        }
      }),
      { numRuns: 400, seed: 20261125 },
    );
    // Both outcomes must have happened, or the generator is not exercising the reader.
    expect(parsed).toBeGreaterThan(40);
    expect(rejected).toBeGreaterThan(40);
  });
});
