import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { FeaturescopeError } from '../../../src/shared/errors';
import { NpyArray, readNpz } from '../../../src/engine/formats/npz';
import { ZipArchive } from '../../../src/engine/formats/zip';

const FIXTURES = join(__dirname, '../../fixtures/formats');
const fixture = (name: string): string => join(FIXTURES, name);
const work = mkdtempSync(join(tmpdir(), 'fs-npz-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let counter = 0;
function writeTemp(bytes: Uint8Array): string {
  const p = join(work, `${counter++}.npz`);
  writeFileSync(p, bytes);
  return p;
}

interface Expected {
  shape: number[];
  dtype: string;
  f32?: string;
  f64?: string;
  i32?: string;
  i64?: string;
  u8?: string;
}
const expected = JSON.parse(readFileSync(fixture('params.expected.json'), 'utf8')) as Record<string, Expected>;
const hexOf = (a: ArrayBufferView): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

function checkAgainstNumpy(arrays: Map<string, NpyArray>, names: string[]): void {
  expect([...arrays.keys()].sort()).toEqual([...names].sort());
  for (const name of names) {
    const want = expected[name]!;
    const got = arrays.get(name)!;
    expect(got.shape, name).toEqual(want.shape);
    expect(got.dtype, name).toBe(want.dtype);
    if (want.f32 !== undefined) {
      expect(got.data, name).toBeInstanceOf(Float32Array);
      expect(hexOf(got.data), name).toBe(want.f32);
    } else if (want.f64 !== undefined) {
      expect(got.data, name).toBeInstanceOf(Float64Array);
      expect(hexOf(got.data), name).toBe(want.f64);
    } else if (want.i64 !== undefined) {
      expect(got.data, name).toBeInstanceOf(BigInt64Array);
      expect(hexOf(got.data), name).toBe(want.i64);
    } else if (want.u8 !== undefined) {
      expect(got.data, name).toBeInstanceOf(Uint8Array);
      expect(hexOf(got.data), name).toBe(want.u8);
    } else {
      expect(got.data, name).toBeInstanceOf(Int32Array);
      expect(hexOf(got.data), name).toBe(want.i32);
    }
  }
}

function expectBad(path: string, rule: RegExp, options?: Parameters<typeof readNpz>[1]): void {
  let caught: unknown;
  try {
    readNpz(path, options);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(FeaturescopeError);
  expect((caught as FeaturescopeError).code).toBe('bad_file');
  expect((caught as FeaturescopeError).message).toContain(path);
  expect((caught as FeaturescopeError).message).toMatch(rule);
}

describe('readNpz on archives written by numpy', () => {
  it('reads numpy.savez (stored) exactly, Fortran-order arrays returned in C order', () => {
    checkAgainstNumpy(readNpz(fixture('params_stored.npz')), Object.keys(expected));
  });

  it('reads numpy.savez_compressed (deflate) exactly', () => {
    checkAgainstNumpy(readNpz(fixture('params_deflate.npz')), Object.keys(expected));
  });

  it('reads zip64 records (extra fields and zip64 end record) written by Python zipfile', () => {
    checkAgainstNumpy(readNpz(fixture('params_zip64.npz')), ['W_enc', 'b_enc', 'threshold']);
  });

  it('transposes the Fortran-order fixture (numpy arange(12).reshape(3,4))', () => {
    const f = readNpz(fixture('params_stored.npz')).get('fortran')!;
    expect(f.shape).toEqual([3, 4]);
    expect(Array.from(f.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(readNpz(fixture('params_stored.npz')).get('scalar')!.shape).toEqual([]);
  });

  it('reports a missing file as not_found', () => {
    expect(() => readNpz(join(work, 'nope.npz'))).toThrowError(expect.objectContaining({ code: 'not_found' }));
  });
});

describe('readNpz rejects unsafe or malformed archives with bad_file', () => {
  it('path traversal names', () => expectBad(fixture('bad_traversal.npz'), /"\.\.\/evil\.npy" contains '\.\.'/));
  it('absolute names', () => expectBad(fixture('bad_absolute.npz'), /is an absolute path/));
  it('object dtype (a pickle)', () => expectBad(fixture('bad_object_dtype.npz'), /object dtype '\|O' holds a pickle/));
  it('zip bomb compression ratio', () => expectBad(fixture('bad_bomb.npz'), /compression ratio \d+:1 exceeds the 1000:1 limit/));
  it('bad CRC', () => expectBad(fixture('bad_crc.npz'), /fails its CRC-32 check/));
  it('too many entries', () => expectBad(fixture('bad_too_many.npz'), /70 entries exceeds the limit of 64/));
  it('duplicate names', () => expectBad(fixture('bad_duplicate.npz'), /duplicate entry name "x\.npy"/));
  it('caps are options', () => {
    expectBad(fixture('params_stored.npz'), /12 entries exceeds the limit of 5/, { maxEntries: 5 });
    expectBad(fixture('params_stored.npz'), /over the 100-byte limit/, { maxEntryBytes: 100 });
    expectBad(fixture('params_stored.npz'), /more than the 1000-byte limit/, { maxTotalBytes: 1000 });
    expectBad(fixture('params_deflate.npz'), /exceeds the 1:1 limit/, { maxCompressionRatio: 1 });
    // the bomb passes the ratio check when allowed, then reads correctly (and the CRC holds)
    const zeros = readNpz(fixture('bad_bomb.npz'), { maxCompressionRatio: 2000 }).get('zeros')!;
    expect(zeros.shape).toEqual([4 * 1024 * 1024]);
  });

  const stored = new Uint8Array(readFileSync(fixture('params_stored.npz')));
  const cdOffset = Buffer.from(stored).readUInt32LE(stored.length - 22 + 16);

  it('encrypted entries', () => {
    const b = stored.slice();
    b[cdOffset + 8]! |= 1; // central directory general-purpose flag bit 0
    expectBad(writeTemp(b), /is encrypted/);
  });
  it('unsupported compression methods', () => {
    const b = stored.slice();
    b[cdOffset + 10] = 12; // bzip2
    expectBad(writeTemp(b), /compression method 12/);
  });
  it('a truncated archive', () => expectBad(writeTemp(stored.subarray(0, stored.length - 40)), /no end-of-central-directory/));
  it('trailing bytes after the end record', () => expectBad(writeTemp(Buffer.concat([stored, Buffer.from('xx')])), /no end-of-central-directory/));
  it('a central directory that disagrees with its local header', () => {
    const b = stored.slice();
    b[cdOffset + 20] = (b[cdOffset + 20]! + 1) & 0xff; // compressed size of the first entry
    expectBad(writeTemp(b), /sizes differ|overlaps/);
  });
  it('a declared deflate size smaller than the real output', () => {
    const d = new Uint8Array(readFileSync(fixture('params_deflate.npz')));
    const cd = Buffer.from(d).readUInt32LE(d.length - 22 + 16);
    const b = d.slice();
    // first entry declares 100 uncompressed bytes instead of 224, in both headers
    Buffer.from(b.buffer).writeUInt32LE(100, cd + 24);
    Buffer.from(b.buffer).writeUInt32LE(100, 22);
    const path = writeTemp(b);
    // The npz reader sees the lie in the .npy header before inflating the entry...
    expectBad(path, /array "W_enc": its header describes shape \(4, 6\) × <f4 = 224 bytes, but the archive declares 100 bytes/);
    // ...and the zip reader itself stops at the declared size.
    const zip = ZipArchive.open(path);
    try {
      expect(() => zip.read(zip.entries[0]!)).toThrowError(/inflates to more than the declared 100 bytes/);
    } finally {
      zip.close();
    }
  });
});

describe('npz under random byte mutations', () => {
  it('reads or throws bad_file, never another error', () => {
    const base = new Uint8Array(readFileSync(fixture('params_deflate.npz')));
    let ok = 0;
    let bad = 0;
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.integer({ min: 0, max: base.length - 1 }), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 3 }),
        fc.option(fc.integer({ min: 0, max: base.length }), { nil: undefined }),
        (flips, truncateTo) => {
          const b = base.slice(0, truncateTo ?? base.length);
          for (const f of flips) if (f.at < b.length) b[f.at] = f.value;
          const p = join(work, `prop${counter++ % 4}.npz`);
          writeFileSync(p, b);
          try {
            readNpz(p);
            ok++;
          } catch (err) {
            expect(err).toBeInstanceOf(FeaturescopeError);
            expect((err as FeaturescopeError).code).toBe('bad_file');
            bad++;
          }
        },
      ),
      { numRuns: 300, seed: 4242 },
    );
    expect(ok).toBeGreaterThan(5);
    expect(bad).toBeGreaterThan(100);
  });
});
