// Issue #19 finding 7 (a 2.3 MB params.npz whose entries inflate to 1 GiB each, under the ratio cap)
// and the .npy part of finding 10 (a 900 KB header overflowed the stack). Archives are built here,
// by hand: an entry's compressed stream is a run of identical deflate blocks, so a 1 GiB entry
// costs ~2 MB to build, and a corrupt block is planted past the header: a reader that inflated the
// entry would report corrupt data instead of the rule under test.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpz } from '../../../src/engine/formats/npz';
import { parseNpy } from '../../../src/engine/formats/npy';
import { ZipArchive } from '../../../src/engine/formats/zip';
import { mulberry32 } from '../../../src/engine/random';
import { loadGemmaScopeNpz } from '../../../src/engine/sae/io/loadSae';
import { FeaturescopeError } from '../../../src/shared/errors';
import { useEngineBackend } from '../sae/helpers/backend';
import { errorOf } from '../error-of';

// An accepted archive becomes an SAE, whose weights are tensors: the engine's backend must be up.
beforeAll(useEngineBackend);

const work = mkdtempSync(join(tmpdir(), 'fs-npz-bounds-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let files = 0;

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** A .npy v1 header (padded to 64 bytes like numpy's) for a C-order array. */
function npyHeader(descr: string, shape: number[]): Buffer {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const text = dict.padEnd(total - 10 - 1, ' ') + '\n';
  const out = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(out);
  out.writeUInt16LE(text.length, 8);
  return Buffer.concat([out, Buffer.from(text, 'latin1')]);
}

function npy(descr: string, shape: number[], data: ArrayBufferView): Buffer {
  return Buffer.concat([npyHeader(descr, shape), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

interface Entry {
  name: string;
  /** Deflated bytes (method 8) or the stored data (method 0). */
  data: Buffer;
  method: 0 | 8;
  /** The uncompressed size the headers declare. */
  size: number;
  crc: number;
}

const stored = (name: string, data: Buffer): Entry => ({ name, data, method: 0, size: data.length, crc: zlib.crc32(data) });

/** A minimal zip (no zip64: every size < 4 GiB) with matching local and central headers. */
function writeZip(entries: Entry[]): string {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(e.method, 8);
    local.writeUInt32LE(e.crc, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.size, 22);
    local.writeUInt16LE(name.length, 26);
    parts.push(local, name, e.data);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(e.method, 10);
    cd.writeUInt32LE(e.crc, 16);
    cd.writeUInt32LE(e.data.length, 20);
    cd.writeUInt32LE(e.size, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(offset, 42);
    central.push(cd, name);
    offset += 30 + name.length + e.data.length;
  }
  const cdBytes = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cdBytes.length, 12);
  eocd.writeUInt32LE(offset, 16);
  const path = join(work, `${files++}.npz`);
  writeFileSync(path, Buffer.concat([...parts, cdBytes, eocd]));
  return path;
}

/**
 * A deflate stream that starts with `head` and then declares ~`size` bytes: 1 MiB blocks (1 KiB of
 * noise, then zeros, ~500:1, under the 1000:1 ratio cap) repeated, with an invalid block after the
 * first few MiB. Every piece is sync-flushed, so the pieces concatenate into one stream.
 */
function bombStream(head: Buffer, size: number): Buffer {
  const flush = { finishFlush: zlib.constants.Z_SYNC_FLUSH, level: 9 };
  const random = mulberry32(19);
  const block = Buffer.alloc(MiB);
  for (let i = 0; i < 1024; i++) block[i] = Math.floor(random() * 256);
  const blockZ = zlib.deflateRawSync(block, flush);
  const blocks = Math.floor((size - head.length) / MiB);
  const pieces: Buffer[] = [zlib.deflateRawSync(head, flush)];
  for (let i = 0; i < blocks; i++) {
    if (i === 4) pieces.push(Buffer.from([0xff, 0xff])); // BTYPE 11: "invalid block type" if ever reached
    pieces.push(blockZ);
  }
  pieces.push(Buffer.from([0x03, 0x00])); // final empty block
  return Buffer.concat(pieces);
}

function deflatedBomb(name: string, head: Buffer, size: number): Entry {
  const data = bombStream(head, size);
  // The CRC of the declared content is never reached: the entry must be refused before that.
  return { name, data, method: 8, size, crc: 0 };
}

/** The five arrays of a Gemma Scope params.npz for d_in × d_sae, as stored entries. */
function gemmaScope(dIn: number, dSae: number, edit?: (name: string, data: Float32Array) => void): Entry[] {
  const random = mulberry32(7);
  const array = (name: string, shape: number[]): Entry => {
    const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() - 0.5);
    edit?.(name, data);
    return stored(`${name}.npy`, npy('<f4', shape, data));
  };
  return [array('W_enc', [dIn, dSae]), array('W_dec', [dSae, dIn]), array('b_enc', [dSae]), array('b_dec', [dIn]), array('threshold', [dSae])];
}

describe('npz entries are read only up to what their headers and the SAE describe', () => {
  it('builds archives the reader accepts (the baseline the bombs mutate)', () => {
    const path = writeZip(gemmaScope(4, 8));
    const sae = loadGemmaScopeNpz(path);
    expect([sae.cfg.d_in, sae.cfg.d_sae]).toEqual([4, 8]);
    sae.dispose();
  });

  it('refuses an entry whose declared 1 GiB disagrees with its .npy header, without inflating it', () => {
    const entries = gemmaScope(4, 8);
    const encHead = entries[0]!.data; // header + the real 128 data bytes
    entries[0] = deflatedBomb('W_enc.npy', encHead, GiB);
    const path = writeZip(entries);
    const zip = ZipArchive.open(path);
    const ratio = zip.entries[0]!.uncompressedSize / zip.entries[0]!.compressedSize;
    zip.close();
    expect(ratio).toBeGreaterThan(100); // a real bomb...
    expect(ratio).toBeLessThan(1000); // ...under the ratio cap, like the one in the issue
    const err = errorOf(() => readNpz(path));
    expect(err.code).toBe('bad_file');
    expect(err.message).toContain(path);
    expect(err.message).toContain(`array "W_enc": its header describes shape (4, 8) × <f4 = ${encHead.length} bytes, but the archive declares ${GiB} bytes for it`);
    expect(err.message).not.toMatch(/corrupt/);
  });

  it('refuses an array larger than the SAE\'s shapes allow, from the headers alone', () => {
    // W_dec's header and declared size agree (8 × 2^25 floats = 1 GiB) but W_enc says [4, 8].
    const entries = gemmaScope(4, 8);
    const decShape = [8, 2 ** 25];
    entries[1] = deflatedBomb('W_dec.npy', npyHeader('<f4', decShape), npyHeader('<f4', decShape).length + GiB);
    const path = writeZip(entries);
    const err = errorOf(() => loadGemmaScopeNpz(path));
    expect(err.code).toBe('bad_file');
    expect(err.field).toBe('W_dec');
    expect(err.message).toContain(`${path}: array W_dec has shape [8, 33554432]; W_enc [4, 8] implies [8, 4]`);
  });

  it('refuses an SAE too big to run from W_enc\'s header (two 1 GiB matrices are allowed, 2^29 elements each at most)', () => {
    // f2 keeps the biggest declared entry (2 GiB) inside a plain zip's 32-bit sizes.
    const cases: Array<[number, number, RegExp]> = [
      [131_072, 4, /W_enc d_in \(axis 0\) is 131072; the limit is 65,536/],
      [4, 2 ** 22, /W_enc d_sae \(axis 1\) is 4194304; the limit is 2,097,152 latents/],
      [4096, 2 ** 18, /is 262144 × 4096 = 1,073,741,824 weights per matrix; the limit is 536,870,912/],
    ];
    for (const [dIn, dSae, rule] of cases) {
      const head = npyHeader('<f2', [dIn, dSae]);
      const path = writeZip([deflatedBomb('W_enc.npy', head, head.length + dIn * dSae * 2), ...gemmaScope(4, 8).slice(1)]);
      const err = errorOf(() => loadGemmaScopeNpz(path));
      expect(err.code).toBe('bad_file');
      expect(err.message).toMatch(rule);
    }
  });

  it('refuses a bomb whose headers agree with each other (an SAE of two 1 GiB matrices at ~500:1) before inflating it', () => {
    // d_in 2048 × d_sae 131,072 is allowed by every shape rule (2^28 weights per matrix); only the
    // ratio tells these entries from real weights, which compress about 1.1:1.
    const [dIn, dSae] = [2048, 131_072];
    const matrix = (name: string, shape: number[]) => deflatedBomb(name, npyHeader('<f4', shape), npyHeader('<f4', shape).length + dIn * dSae * 4);
    const small = gemmaScope(dIn, 8).slice(2).map((e, i) => (i === 0 ? stored('b_enc.npy', npy('<f4', [dSae], new Float32Array(dSae))) : i === 2 ? stored('threshold.npy', npy('<f4', [dSae], new Float32Array(dSae))) : e));
    const path = writeZip([matrix('W_enc.npy', [dIn, dSae]), matrix('W_dec.npy', [dSae, dIn]), ...small]);
    const err = errorOf(() => loadGemmaScopeNpz(path));
    expect(err.code).toBe('bad_file');
    expect(err.message).toMatch(/entry "W_enc\.npy" declares 1073741952 bytes from \d+ compressed \(\d+:1\); an entry over 64 MiB may compress at most 32:1/);
    expect(err.message).not.toMatch(/corrupt/);
  });

  it('reads a large entry that compresses like real weights (the ratio rule spares it)', () => {
    const random = mulberry32(3);
    const floats = Float32Array.from({ length: (65 * MiB) / 4 }, () => random() - 0.5);
    const raw = npy('<f4', [floats.length], floats);
    const path = writeZip([{ name: 'big.npy', data: zlib.deflateRawSync(raw, { level: 1 }), method: 8, size: raw.length, crc: zlib.crc32(raw) }]);
    const big = readNpz(path).get('big')!;
    expect(big.shape).toEqual([floats.length]);
  });

  it('never inflates arrays the SAE does not use', () => {
    const extra = deflatedBomb('unused.npy', npyHeader('|u1', [GiB]), npyHeader('|u1', [GiB]).length + GiB);
    const sae = loadGemmaScopeNpz(writeZip([...gemmaScope(4, 8), extra]));
    expect(sae.cfg.d_sae).toBe(8);
    sae.dispose();
  });

  it('refuses NaN or Inf in an SAE array, naming the array and the element', () => {
    const path = writeZip(gemmaScope(4, 8, (name, data) => name === 'W_dec' && (data[2 * 4 + 1] = Number.NEGATIVE_INFINITY)));
    const err = errorOf(() => loadGemmaScopeNpz(path));
    expect(err.code).toBe('bad_file');
    expect(err.message).toContain('array W_dec holds −Inf at element [2, 1] (flat index 9)');
  });
});

describe('.npy headers (finding 10)', () => {
  it('refuses a 900 KB header with a clear rule (not a stack overflow)', () => {
    const text = `{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }`.padEnd(900_000 - 1, ' ') + '\n';
    const head = Buffer.alloc(12);
    Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]).copy(head);
    head.writeUInt32LE(text.length, 8);
    const bytes = new Uint8Array(Buffer.concat([head, Buffer.from(text, 'latin1'), Buffer.alloc(4)]));
    expect(() => parseNpy(bytes)).toThrowError(/header of 900000 bytes is over the 65536-byte limit/);
    const err = errorOf(() => readNpz(writeZip([stored('x.npy', Buffer.from(bytes))])));
    expect(err.message).toContain('array "x": header of 900000 bytes is over the 65536-byte limit');
  });

  it('reads a long header under the cap (v1 headers can be 65,535 bytes) without spreading it into a call', () => {
    const text = `{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }`.padEnd(60_000 - 1, ' ') + '\n';
    const head = Buffer.alloc(10);
    Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
    head.writeUInt16LE(text.length, 8);
    const a = parseNpy(new Uint8Array(Buffer.concat([head, Buffer.from(text, 'latin1'), Buffer.from(Float32Array.from([1, 2]).buffer)])));
    expect(Array.from(a.data as Float32Array)).toEqual([1, 2]);
  });
});
