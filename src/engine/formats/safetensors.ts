// Strict, lazy safetensors reader and an atomic writer (DESIGN.md §5).
//
// Layout: u64 little-endian header length N | N bytes of UTF-8 JSON (may end in 0x20 padding) |
// data section. The header maps tensor name → {dtype, shape, data_offsets: [begin, end]} with
// offsets relative to the data section, plus an optional "__metadata__" string→string map.
//
// `open` reads and validates the header only and keeps the file descriptor; tensor bytes are
// read on demand with positioned reads, so a multi-GB model never sits in memory whole.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { FeaturescopeError } from '../../shared/errors';
import { AtomicFileWriter } from './atomic';
import { firstNonFiniteF32, f64ToF32Finite, nonFiniteMessage } from './finite';
import { bf16ToF32, bf16ToF32Finite, f16BitsToNumber, f16ToF32, f16ToF32Finite } from './halfFloat';
import { exactNonNegativeInteger, JsonValue, parseStrictJson, StrictJsonError } from './strictJson';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** begin/end are byte offsets into the data section (which starts at 8 + header length). */
export interface TensorEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

export const DTYPE_SIZES: Readonly<Record<SafetensorsDtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export interface ReadFloat32Options {
  /** Keep NaN and ±Inf instead of refusing the tensor (default false: refused, naming the element). */
  allowNonFinite?: boolean;
  /** Appended to the refusal: how the user can allow them, where the caller offers a way. */
  howToAllow?: string;
}

/** Largest header we accept; the reference implementation uses the same 100 MB bound. */
export const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';
const TENSOR_FIELDS = new Set(['dtype', 'shape', 'data_offsets']);
// Positioned reads larger than this are split: some platforms cap one read at 2 GiB.
const READ_CHUNK_BYTES = 1 << 30;

// The typed-array views below assume the host stores numbers little-endian like the file does.
const HOST_IS_LITTLE_ENDIAN = endianness() === 'LE';

function isDtype(value: string): value is SafetensorsDtype {
  return Object.prototype.hasOwnProperty.call(DTYPE_SIZES, value);
}

function badFile(path: string, rule: string): FeaturescopeError {
  return new FeaturescopeError('bad_file', `${path}: not a valid safetensors file: ${rule}`);
}

export class SafetensorsFile {
  private fd: number | undefined;

  private constructor(
    readonly path: string,
    fd: number,
    /** Absolute file offset where the data section starts (8 + header length). */
    readonly dataStart: number,
    readonly metadata: Record<string, string>,
    readonly tensors: Map<string, TensorEntry>,
  ) {
    this.fd = fd;
  }

  /** Opens `path`, reads and validates the header only. Throws bad_file / not_found. */
  static open(path: string): SafetensorsFile {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new FeaturescopeError('not_found', `${path}: no such safetensors file`);
      throw new FeaturescopeError('failed', `${path}: cannot open: ${(err as Error).message}`);
    }
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile()) throw badFile(path, 'not a regular file');
      const { dataStart, metadata, tensors } = readHeader(path, fd, stat.size);
      return new SafetensorsFile(path, fd, dataStart, metadata, tensors);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  entry(name: string): TensorEntry {
    const e = this.tensors.get(name);
    if (e === undefined) throw new FeaturescopeError('not_found', `${this.path}: no tensor named ${JSON.stringify(name)}`);
    return e;
  }

  /** The tensor's bytes exactly as stored (little-endian). */
  readRaw(name: string): Uint8Array {
    const e = this.entry(name);
    return this.readSpan(e);
  }

  /**
   * The tensor as f32: F32 as is, F16/BF16 widened exactly, F64 rounded to nearest f32. NaN and
   * ±Inf are refused (bad_file naming the tensor and the first such element) unless allowed; the
   * check rides on the widening loop, so each tensor is scanned once.
   */
  readFloat32(name: string, opts: ReadFloat32Options = {}): Float32Array {
    const e = this.entry(name);
    return this.widen(e, this.readSpan(e), 0, opts);
  }

  /**
   * Rows [start, start + count) of a tensor (along its first axis) as f32, read with one
   * positioned read: an embedding lookup or a vocabulary chunk of the unembedding, without
   * reading the whole table. The same widening and NaN/±Inf check as readFloat32; a refusal
   * names the element's index in the whole tensor.
   */
  readRowsFloat32(name: string, start: number, count: number, opts: ReadFloat32Options = {}): Float32Array {
    const e = this.entry(name);
    const rows = e.shape[0] ?? 0;
    if (e.shape.length === 0 || !Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > rows) {
      throw new FeaturescopeError('internal', `${this.path}: rows [${start}, ${start + count}) of tensor ${JSON.stringify(name)} are outside its ${rows} rows`);
    }
    const rowElements = e.shape.slice(1).reduce((a, b) => a * b, 1);
    const rowBytes = rowElements * DTYPE_SIZES[e.dtype];
    const bytes = this.readBytes(e.begin + start * rowBytes, count * rowBytes);
    return this.widen(e, bytes, start * rowElements, opts);
  }

  /**
   * Stored bytes → f32: F32 as is, F16/BF16 widened exactly, F64 rounded to nearest f32. NaN and
   * ±Inf are refused (bad_file naming the tensor and the first such element) unless allowed; the
   * check rides on the widening loop, so each tensor is scanned once. `firstIndex` is the flat
   * index of bytes[0] in the tensor, for the refusal's message.
   */
  private widen(e: TensorEntry, bytes: Uint8Array, firstIndex: number, opts: ReadFloat32Options): Float32Array {
    const name = e.name;
    if (!HOST_IS_LITTLE_ENDIAN) {
      throw new FeaturescopeError('unsupported', 'safetensors reading needs a little-endian host');
    }
    const count = bytes.length / DTYPE_SIZES[e.dtype];
    const check = opts.allowNonFinite !== true;
    const refuse = (local: number, value: number): never => {
      throw new FeaturescopeError('bad_file', `${this.path}: ${nonFiniteMessage(`tensor ${JSON.stringify(name)}`, firstIndex + local, e.shape, value)}${opts.howToAllow ? `; ${opts.howToAllow}` : ''}`);
    };
    switch (e.dtype) {
      case 'F32': {
        const out = new Float32Array(bytes.buffer, bytes.byteOffset, count);
        const bad = check ? firstNonFiniteF32(out) : -1;
        if (bad >= 0) refuse(bad, out[bad]!);
        return out;
      }
      case 'F16': {
        const src = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
        if (!check) return f16ToF32(src);
        const out = new Float32Array(count);
        const bad = f16ToF32Finite(src, out);
        if (bad >= 0) refuse(bad, f16BitsToNumber(src[bad]!));
        return out;
      }
      case 'BF16': {
        const src = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
        if (!check) return bf16ToF32(src);
        const out = new Float32Array(count);
        const bad = bf16ToF32Finite(src, out);
        if (bad >= 0) refuse(bad, new Float32Array(new Uint32Array([src[bad]! << 16]).buffer)[0]!);
        return out;
      }
      case 'F64': {
        const src = new Float64Array(bytes.buffer, bytes.byteOffset, count);
        const out = new Float32Array(count);
        if (!check) {
          out.set(src); // rounds to nearest, ties to even
          return out;
        }
        const bad = f64ToF32Finite(src, out);
        if (bad >= 0) refuse(bad, src[bad]!);
        return out;
      }
      default:
        throw new FeaturescopeError(
          'unsupported',
          `${this.path}: tensor ${JSON.stringify(name)} has integer dtype ${e.dtype}; readFloat32 reads only F64/F32/F16/BF16 (use readRaw)`,
        );
    }
  }

  close(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }

  private readSpan(e: TensorEntry): Uint8Array {
    return this.readBytes(e.begin, e.end - e.begin);
  }

  /** `length` bytes at data-section offset `begin`. */
  private readBytes(begin: number, length: number): Uint8Array {
    if (this.fd === undefined) throw new FeaturescopeError('internal', `${this.path}: read after close`);
    // A fresh ArrayBuffer (offset 0) so typed views of any element size are aligned.
    const out = new Uint8Array(length);
    readExactly(this.path, this.fd, out, this.dataStart + begin);
    return out;
  }
}

/** Positioned read of exactly out.length bytes; a short file (truncated after open) is bad_file. */
function readExactly(path: string, fd: number, out: Uint8Array, position: number): void {
  let done = 0;
  while (done < out.length) {
    const n = readSync(fd, out, done, Math.min(out.length - done, READ_CHUNK_BYTES), position + done);
    if (n === 0) throw badFile(path, `file ends at byte ${position + done}, before the ${out.length} bytes expected at ${position}`);
    done += n;
  }
}

interface ParsedHeader {
  dataStart: number;
  metadata: Record<string, string>;
  tensors: Map<string, TensorEntry>;
}

function readHeader(path: string, fd: number, fileSize: number): ParsedHeader {
  if (fileSize < 8) throw badFile(path, `file is ${fileSize} bytes, shorter than the 8-byte header length`);
  const lengthBytes = new Uint8Array(8);
  readExactly(path, fd, lengthBytes, 0);
  // Read the u64 exactly (a BigInt), so 2^53+ lengths are rejected instead of rounded.
  const headerLength64 = new DataView(lengthBytes.buffer).getBigUint64(0, true);
  if (headerLength64 > BigInt(MAX_HEADER_BYTES)) {
    throw badFile(path, `header length ${headerLength64} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  const headerLength = Number(headerLength64);
  if (8 + headerLength > fileSize) {
    throw badFile(path, `header length ${headerLength} runs beyond the end of the ${fileSize}-byte file`);
  }
  const headerBytes = new Uint8Array(headerLength);
  readExactly(path, fd, headerBytes, 8);

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw badFile(path, 'header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw badFile(path, "header must start with '{'");
  let json: JsonValue;
  try {
    json = parseStrictJson(text);
  } catch (err) {
    if (err instanceof StrictJsonError) throw badFile(path, `header is not valid JSON (${err.message})`);
    throw err;
  }
  if (!(json instanceof Map)) throw badFile(path, 'header must be a JSON object');

  const dataStart = 8 + headerLength;
  const dataLength = fileSize - dataStart;
  let metadata: Record<string, string> = {};
  const tensors = new Map<string, TensorEntry>();
  for (const [name, value] of json) {
    if (name === METADATA_KEY) metadata = parseMetadata(path, value);
    else tensors.set(name, parseTensorEntry(path, name, value));
  }
  checkLayout(path, tensors, dataLength);
  return { dataStart, metadata, tensors };
}

function parseMetadata(path: string, value: JsonValue): Record<string, string> {
  if (!(value instanceof Map)) throw badFile(path, '__metadata__ must be an object of strings');
  // A null-prototype record: keys like "__proto__" stay plain data.
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of value) {
    if (typeof v !== 'string') throw badFile(path, `__metadata__ value for ${JSON.stringify(k)} is not a string`);
    out[k] = v;
  }
  return out;
}

function parseTensorEntry(path: string, name: string, value: JsonValue): TensorEntry {
  const where = `tensor ${JSON.stringify(name)}`;
  if (!(value instanceof Map)) throw badFile(path, `${where} must be an object`);
  for (const key of value.keys()) {
    if (!TENSOR_FIELDS.has(key)) throw badFile(path, `${where} has unknown field ${JSON.stringify(key)}`);
  }
  const dtype = value.get('dtype');
  if (typeof dtype !== 'string') throw badFile(path, `${where} has no dtype string`);
  if (!isDtype(dtype)) {
    throw badFile(path, `${where} has unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(DTYPE_SIZES).join(', ')})`);
  }
  const shapeValue = value.get('shape');
  if (!Array.isArray(shapeValue)) throw badFile(path, `${where} has no shape array`);
  const shape: number[] = [];
  for (const dim of shapeValue) {
    const n = exactNonNegativeInteger(dim);
    if (n === undefined) throw badFile(path, `${where} shape must hold non-negative integers ≤ 2^53−1`);
    shape.push(n);
  }
  const offsets = value.get('data_offsets');
  if (!Array.isArray(offsets) || offsets.length !== 2) throw badFile(path, `${where} data_offsets must be [begin, end]`);
  const begin = exactNonNegativeInteger(offsets[0]);
  const end = exactNonNegativeInteger(offsets[1]);
  if (begin === undefined || end === undefined) {
    throw badFile(path, `${where} data_offsets must be non-negative integers ≤ 2^53−1`);
  }
  if (end < begin) throw badFile(path, `${where} data_offsets end ${end} is before begin ${begin}`);
  if (byteCount(shape, DTYPE_SIZES[dtype]) !== BigInt(end - begin)) {
    throw badFile(
      path,
      `${where} shape [${shape.join(', ')}] × ${dtype} needs ${byteCount(shape, DTYPE_SIZES[dtype])} bytes but data_offsets span ${end - begin}`,
    );
  }
  return { name, dtype, shape, begin, end };
}

/** prod(shape)·itemSize, exactly: in doubles while that is exact, else in BigInt (dims can multiply past 2^53). */
function byteCount(shape: number[], itemSize: number): bigint {
  let product = itemSize;
  for (const d of shape) product *= d;
  if (Number.isSafeInteger(product)) return BigInt(product);
  let exact = BigInt(itemSize);
  for (const d of shape) exact *= BigInt(d);
  return exact;
}

/** Spans sorted by begin must tile [0, dataLength) exactly: no gap, no overlap, no trailing bytes. */
function checkLayout(path: string, tensors: Map<string, TensorEntry>, dataLength: number): void {
  const sorted = [...tensors.values()].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  let previous: TensorEntry | undefined;
  for (const e of sorted) {
    if (e.begin < expected) {
      throw badFile(path, `tensor ${JSON.stringify(e.name)} [${e.begin}, ${e.end}) overlaps tensor ${JSON.stringify(previous?.name)} ending at ${expected}`);
    }
    if (e.begin > expected) {
      throw badFile(path, `gap of ${e.begin - expected} bytes before tensor ${JSON.stringify(e.name)} at data offset ${expected}`);
    }
    expected = e.end;
    previous = e;
  }
  if (expected > dataLength) {
    throw badFile(path, `tensor data needs ${expected} bytes but the file holds only ${dataLength} after the header (truncated)`);
  }
  if (expected < dataLength) {
    throw badFile(path, `${dataLength - expected} trailing bytes after the last tensor`);
  }
}

export type WritableDtype = 'F32' | 'F16' | 'BF16' | 'I32' | 'I64';

export interface TensorToWrite {
  name: string;
  dtype: WritableDtype;
  shape: number[];
  /** Little-endian element bytes; its byteLength must equal prod(shape)·sizeof(dtype). */
  data: ArrayBufferView;
}

const WRITABLE: ReadonlySet<string> = new Set<WritableDtype>(['F32', 'F16', 'BF16', 'I32', 'I64']);

/**
 * Writes a safetensors file atomically (temp file, fsync, rename, fsync dir). Tensors are laid
 * out in the order given; the header is space-padded to a multiple of 8 so the data section is
 * 8-byte aligned, as the reference writer does.
 */
export function writeSafetensors(path: string, tensors: TensorToWrite[], metadata?: Record<string, string>): void {
  if (!HOST_IS_LITTLE_ENDIAN) throw new FeaturescopeError('unsupported', 'safetensors writing needs a little-endian host');
  // Built as text by hand so "__metadata__" comes first and names keep their given order.
  const parts: string[] = [];
  if (metadata !== undefined) {
    const entries = Object.entries(metadata);
    for (const [k, v] of entries) {
      if (typeof v !== 'string') throw new FeaturescopeError('invalid_input', `${path}: metadata ${JSON.stringify(k)} must be a string`);
    }
    parts.push(`${JSON.stringify(METADATA_KEY)}:{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  }
  const seen = new Set<string>();
  let offset = 0;
  for (const t of tensors) {
    const where = `${path}: tensor ${JSON.stringify(t.name)}`;
    if (t.name === METADATA_KEY) throw new FeaturescopeError('invalid_input', `${where}: name is reserved`);
    if (seen.has(t.name)) throw new FeaturescopeError('invalid_input', `${where}: duplicate name`);
    seen.add(t.name);
    if (!WRITABLE.has(t.dtype)) throw new FeaturescopeError('invalid_input', `${where}: cannot write dtype ${String(t.dtype)}`);
    let elements = 1;
    for (const d of t.shape) {
      if (!Number.isSafeInteger(d) || d < 0) throw new FeaturescopeError('invalid_input', `${where}: shape must hold non-negative integers`);
      elements *= d;
    }
    const bytes = elements * DTYPE_SIZES[t.dtype];
    if (bytes !== t.data.byteLength) {
      throw new FeaturescopeError(
        'invalid_input',
        `${where}: shape [${t.shape.join(', ')}] × ${t.dtype} needs ${bytes} bytes, data has ${t.data.byteLength}`,
      );
    }
    parts.push(
      `${JSON.stringify(t.name)}:{"dtype":${JSON.stringify(t.dtype)},"shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + bytes}]}`,
    );
    offset += bytes;
  }
  let header = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const padded = Math.ceil(header.length / 8) * 8;
  if (padded !== header.length) header = Buffer.concat([header, Buffer.alloc(padded - header.length, 0x20)]);
  if (header.length > MAX_HEADER_BYTES) throw new FeaturescopeError('invalid_input', `${path}: header would exceed ${MAX_HEADER_BYTES} bytes`);

  const lengthBytes = new Uint8Array(8);
  new DataView(lengthBytes.buffer).setBigUint64(0, BigInt(header.length), true);
  const writer = AtomicFileWriter.create(path, { expectedBytes: 8 + header.length + offset });
  try {
    writer.write(lengthBytes);
    writer.write(header);
    for (const t of tensors) writer.write(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    writer.commit();
  } catch (err) {
    writer.abort();
    throw err;
  }
}
