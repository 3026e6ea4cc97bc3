// The float32 .npy writer: byte-for-byte numpy.save's header (captured from numpy 2.4's np.save of
// np.zeros((1, 8, 300), '<f4')), read back by our strict parser, and atomic over an existing file.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseNpy } from '../../../src/engine/formats/npy';
import { npyF32Header, writeNpyF32 } from '../../../src/engine/formats/npy-write';

const dir = mkdtempSync(join(tmpdir(), 'npy-write-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeNpyF32', () => {
  it('writes the header numpy.save writes', () => {
    const numpy = Buffer.concat([Buffer.from([0x93]), Buffer.from(`NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (1, 8, 300), }${' '.repeat(53)}\n`, 'latin1')]);
    expect(Buffer.from(npyF32Header([1, 8, 300]))).toEqual(numpy);
    expect(Buffer.from(npyF32Header([5])).toString('latin1')).toContain("'shape': (5,), }");
    expect(npyF32Header([1, 8, 300]).length % 64).toBe(0);
  });

  it('round-trips through the strict parser', () => {
    const data = new Float32Array(2 * 3 * 4).map((_, i) => i * 0.5 - 3);
    const path = join(dir, 'a.npy');
    writeNpyF32(path, [2, 3, 4], data);
    const back = parseNpy(new Uint8Array(readFileSync(path)));
    expect(back.shape).toEqual([2, 3, 4]);
    expect(Array.from(back.data as Float32Array)).toEqual(Array.from(data));
  });

  it('refuses data that does not fill the shape, leaving the old file', () => {
    const path = join(dir, 'b.npy');
    writeFileSync(path, 'old');
    expect(() => writeNpyF32(path, [2, 2], new Float32Array(3))).toThrow('shape [2, 2] holds 4 elements, the data 3');
    expect(readFileSync(path, 'utf8')).toBe('old');
  });
});
