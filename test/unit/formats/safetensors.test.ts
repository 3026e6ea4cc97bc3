import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FeaturescopeError } from '../../../src/shared/errors';
import { SafetensorsFile, writeSafetensors } from '../../../src/engine/formats/safetensors';

const FIXTURES = join(__dirname, '../../fixtures/formats');
const work = mkdtempSync(join(tmpdir(), 'fs-safetensors-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let counter = 0;
function tempPath(name = 'x.safetensors'): string {
  return join(work, `${counter++}-${name}`);
}

/** f32 values as their little-endian bytes, for bit-exact comparison (NaN payloads included). */
function f32Bytes(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
}

/** A safetensors file from a header given as text, with an optional lying length prefix. */
function rawFile(header: string, data: Uint8Array, lengthOverride?: bigint): Uint8Array {
  const h = Buffer.from(header, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lengthOverride ?? BigInt(h.length));
  return new Uint8Array(Buffer.concat([len, h, data]));
}

function writeRaw(bytes: Uint8Array): string {
  const p = tempPath();
  writeFileSync(p, bytes);
  return p;
}

function expectBadFile(path: string, rule: RegExp): void {
  let caught: unknown;
  try {
    SafetensorsFile.open(path).close();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(FeaturescopeError);
  const e = caught as FeaturescopeError;
  expect(e.code).toBe('bad_file');
  expect(e.message).toContain(path);
  expect(e.message).toMatch(rule);
}

interface ExpectedTensor {
  dtype: string;
  shape: number[];
  f32?: string;
  raw?: string;
}

describe('SafetensorsFile on a file written by an independent (Python) writer', () => {
  const path = join(FIXTURES, 'reference.safetensors');
  const expected = JSON.parse(readFileSync(join(FIXTURES, 'reference.safetensors.expected.json'), 'utf8')) as {
    metadata: Record<string, string>;
    tensors: Record<string, ExpectedTensor>;
  };

  it('reads metadata, dtypes, shapes and every value bit-exactly', () => {
    const f = SafetensorsFile.open(path);
    try {
      expect({ ...f.metadata }).toEqual(expected.metadata);
      expect(f.tensors).toBeInstanceOf(Map);
      expect([...f.tensors.keys()].sort()).toEqual(Object.keys(expected.tensors).sort());
      for (const [name, want] of Object.entries(expected.tensors)) {
        const e = f.entry(name);
        expect(e.dtype, name).toBe(want.dtype);
        expect(e.shape, name).toEqual(want.shape);
        // allowNonFinite: the fixture holds NaN/±Inf on purpose, to check they widen exactly.
        if (want.f32 !== undefined) expect(f32Bytes(f.readFloat32(name, { allowNonFinite: true })), name).toBe(want.f32);
        if (want.raw !== undefined) expect(Buffer.from(f.readRaw(name)).toString('hex'), name).toBe(want.raw);
      }
    } finally {
      f.close();
    }
  });

  it('keeps a tensor named __proto__ as ordinary data', () => {
    const f = SafetensorsFile.open(path);
    expect(f.has('__proto__')).toBe(true);
    expect(f.has('constructor')).toBe(false);
    expect(Array.from(f.readFloat32('__proto__'))).toEqual([7]);
    f.close();
  });

  it('widens F16 subnormals, infinities and NaNs exactly', () => {
    const f = SafetensorsFile.open(path);
    const v = f.readFloat32('half_specials', { allowNonFinite: true });
    f.close();
    // bit patterns listed in make_format_fixtures.py
    expect(Object.is(v[0], 0)).toBe(true);
    expect(Object.is(v[1], -0)).toBe(true);
    expect(v[2]).toBe(2 ** -24); // smallest subnormal
    expect(v[3]).toBe(1023 * 2 ** -24); // largest subnormal
    expect(v[4]).toBe(2 ** -14); // smallest normal
    expect(v[5]).toBe(1);
    expect(v[7]).toBe(65504);
    expect(v[9]).toBe(Infinity);
    expect(v[10]).toBe(-Infinity);
    expect(Number.isNaN(v[11])).toBe(true);
    expect(Number.isNaN(v[12])).toBe(true);
    expect(v[15]).toBe(2 ** -15);
  });

  it('throws not_found naming file and tensor for a missing name', () => {
    const f = SafetensorsFile.open(path);
    expect(() => f.entry('nope')).toThrowError(/reference\.safetensors.*"nope"/);
    expect(() => f.readFloat32('nope')).toThrowError(expect.objectContaining({ code: 'not_found' }));
    expect(() => f.readFloat32('ints32')).toThrowError(/integer dtype I32/);
    f.close();
  });

  it('reports a missing file as not_found', () => {
    expect(() => SafetensorsFile.open(join(work, 'missing.safetensors'))).toThrowError(/no such safetensors file/);
  });
});

describe('writeSafetensors → SafetensorsFile round trip', () => {
  it('returns what was written, for every writable dtype', () => {
    const p = tempPath();
    const f32 = Float32Array.from([1.5, -2, 3.25, NaN, Infinity, -0]);
    const f16 = Uint16Array.from([0x3c00, 0x0001, 0xfc00]);
    const bf16 = Uint16Array.from([0x3f80, 0xc040]);
    const i32 = Int32Array.from([1, -1, 2 ** 31 - 1]);
    const i64 = BigInt64Array.from([2n ** 60n, -5n]);
    writeSafetensors(
      p,
      [
        { name: 'a', dtype: 'F32', shape: [2, 3], data: f32 },
        { name: 'h', dtype: 'F16', shape: [3], data: f16 },
        { name: 'b', dtype: 'BF16', shape: [2], data: bf16 },
        { name: 'i', dtype: 'I32', shape: [3], data: i32 },
        { name: 'l', dtype: 'I64', shape: [1, 2], data: i64 },
        { name: 'z', dtype: 'F32', shape: [0], data: new Float32Array(0) },
      ],
      { source: 'test' },
    );
    // 8-byte aligned data section, as the reference writer pads it
    const headerLength = Number(readFileSync(p).readBigUInt64LE(0));
    expect(headerLength % 8).toBe(0);
    const f = SafetensorsFile.open(p);
    expect(f.metadata.source).toBe('test');
    expect(f32Bytes(f.readFloat32('a', { allowNonFinite: true }))).toBe(f32Bytes(f32));
    expect(f.entry('a').shape).toEqual([2, 3]);
    expect(Array.from(f.readFloat32('h', { allowNonFinite: true }))).toEqual([1, 2 ** -24, -Infinity]);
    expect(Array.from(f.readFloat32('b'))).toEqual([1, -3]);
    expect(Array.from(new Int32Array(f.readRaw('i').buffer))).toEqual([1, -1, 2 ** 31 - 1]);
    expect(Array.from(new BigInt64Array(f.readRaw('l').buffer))).toEqual([2n ** 60n, -5n]);
    expect(f.readFloat32('z').length).toBe(0);
    f.close();
  });

  it('writes through a subarray view without leaking neighbouring bytes', () => {
    const p = tempPath();
    const big = Float32Array.from([9, 1, 2, 9]);
    writeSafetensors(p, [{ name: 'v', dtype: 'F32', shape: [2], data: big.subarray(1, 3) }]);
    const f = SafetensorsFile.open(p);
    expect(Array.from(f.readFloat32('v'))).toEqual([1, 2]);
    f.close();
  });

  it('rejects a data length that does not match the shape, and leaves no temp file', () => {
    const dir = mkdtempSync(join(work, 'w-'));
    expect(() => writeSafetensors(join(dir, 'x.safetensors'), [{ name: 'a', dtype: 'F32', shape: [3], data: new Float32Array(2) }])).toThrowError(
      /needs 12 bytes, data has 8/,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('rejects duplicate names', () => {
    const d = new Float32Array(1);
    expect(() =>
      writeSafetensors(tempPath(), [
        { name: 'a', dtype: 'F32', shape: [1], data: d },
        { name: 'a', dtype: 'F32', shape: [1], data: d },
      ]),
    ).toThrowError(/duplicate name/);
  });
});

describe('SafetensorsFile rejects malformed files with bad_file naming the rule', () => {
  const oneTensor = '{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
  const eight = new Uint8Array(8);

  it('accepts the well-formed baseline these cases mutate (and space padding)', () => {
    const f = SafetensorsFile.open(writeRaw(rawFile(`${oneTensor}      `, eight)));
    expect(f.entry('t')).toMatchObject({ dtype: 'F32', shape: [2], begin: 0, end: 8 });
    f.close();
  });

  it('file shorter than the length prefix', () => expectBadFile(writeRaw(new Uint8Array(5)), /shorter than the 8-byte header length/));
  it('truncated data section', () => expectBadFile(writeRaw(rawFile(oneTensor, new Uint8Array(4))), /truncated/));
  it('header too large', () => expectBadFile(writeRaw(rawFile(oneTensor, eight, 100_000_001n)), /exceeds the 100000000-byte limit/));
  it('header length of 2^64−1 read exactly, not rounded', () =>
    expectBadFile(writeRaw(rawFile(oneTensor, eight, 2n ** 64n - 1n)), /18446744073709551615/));
  it('header beyond the file', () => expectBadFile(writeRaw(rawFile(oneTensor, eight, 1000n)), /beyond the end/));
  it('header not UTF-8', () => {
    const bytes = rawFile('{"t\u00ff":1}', new Uint8Array(0));
    bytes[11] = 0xff; // break the 2-byte sequence
    expectBadFile(writeRaw(bytes), /not valid UTF-8/);
  });
  it('header not JSON', () => expectBadFile(writeRaw(rawFile('{"t":', eight)), /not valid JSON/));
  it('header not an object', () => expectBadFile(writeRaw(rawFile('[1,2]', eight)), /must start with '\{'/));
  it('overlapping offsets', () =>
    expectBadFile(
      writeRaw(rawFile('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', eight)),
      /overlaps/,
    ));
  it('gapped offsets', () =>
    expectBadFile(
      writeRaw(rawFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}', new Uint8Array(12))),
      /gap of 4 bytes/,
    ));
  it('offsets not starting at 0', () =>
    expectBadFile(writeRaw(rawFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', eight)), /gap of 4 bytes before tensor "a"/));
  it('unknown dtype', () =>
    expectBadFile(writeRaw(rawFile('{"t":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}', eight)), /unknown dtype "F33"/));
  it('shape/span mismatch', () =>
    expectBadFile(writeRaw(rawFile('{"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', eight)), /needs 12 bytes but data_offsets span 8/));
  it('shape/span mismatch that overflows 2^53 is still caught', () =>
    expectBadFile(
      writeRaw(rawFile('{"t":{"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,8]}}', eight)),
      /needs 0 bytes/,
    ));
  it('negative or fractional shape', () => {
    expectBadFile(writeRaw(rawFile('{"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', eight)), /non-negative integers/);
    expectBadFile(writeRaw(rawFile('{"t":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}', eight)), /non-negative integers/);
  });
  it('offset beyond 2^53 is refused, not rounded', () =>
    expectBadFile(writeRaw(rawFile('{"t":{"dtype":"U8","shape":[0],"data_offsets":[9007199254740993,9007199254740993]}}', eight)), /2\^53/));
  it('end before begin', () =>
    expectBadFile(writeRaw(rawFile('{"t":{"dtype":"U8","shape":[0],"data_offsets":[8,0]}}', eight)), /end 0 is before begin 8/));
  it('trailing bytes after the last tensor', () => expectBadFile(writeRaw(rawFile(oneTensor, new Uint8Array(9))), /1 trailing bytes/));
  it('duplicate tensor names', () =>
    expectBadFile(
      writeRaw(rawFile('{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"t":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}}', eight)),
      /duplicate key "t"/,
    ));
  it('duplicate names spelled with escapes', () =>
    expectBadFile(
      writeRaw(rawFile('{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"\\u0074":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}}', eight)),
      /duplicate key "t"/,
    ));
  it('non-string metadata', () =>
    expectBadFile(writeRaw(rawFile(`{"__metadata__":{"n":1},${oneTensor.slice(1)}`, eight)), /__metadata__ value for "n" is not a string/));
  it('metadata not an object', () => expectBadFile(writeRaw(rawFile(`{"__metadata__":"x",${oneTensor.slice(1)}`, eight)), /__metadata__ must be/));
  it('unknown tensor field', () =>
    expectBadFile(writeRaw(rawFile('{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}', eight)), /unknown field "x"/));
  it('deeply nested header', () => expectBadFile(writeRaw(rawFile(`{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`, new Uint8Array(0))), /nesting deeper/));
});

describe('lazy reads', () => {
  it('reads tensor bytes at read time, from their span only', () => {
    const p = tempPath();
    const a = new Float32Array(1 << 20).fill(1);
    const b = Float32Array.from([4, 5]);
    writeSafetensors(p, [
      { name: 'big', dtype: 'F32', shape: [1 << 20], data: a },
      { name: 'small', dtype: 'F32', shape: [2], data: b },
    ]);
    const f = SafetensorsFile.open(p);
    expect(f.entry('small').begin).toBe(4 << 20);
    // Change the bytes on disk after open: a lazy reader sees the new values.
    const fd = openSync(p, 'r+');
    writeSync(fd, new Uint8Array(Float32Array.from([6, 7]).buffer), 0, 8, f.dataStart + f.entry('small').begin);
    closeSync(fd);
    expect(Array.from(f.readFloat32('small'))).toEqual([6, 7]);
    f.close();
    expect(() => f.readRaw('small')).toThrowError(/read after close/);
  });
});
