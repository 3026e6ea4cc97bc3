// Strict parser for one numpy `.npy` array held in memory.
//
// Layout: "\x93NUMPY", major, minor, header length (u16 for v1, u32 for v2/v3), a Python dict
// literal {'descr': …, 'fortran_order': …, 'shape': (…)} padded with spaces and ending in '\n',
// then the raw elements. We parse that literal with a tiny grammar (never eval), accept only
// plain little-endian numeric dtypes, and refuse object arrays: their payload is a pickle,
// which executes code when loaded.

import { f16ToF32 } from './halfFloat';

export type NpyDtype = '<f4' | '<f2' | '<f8' | '<i4' | '<i8' | '|u1';
export type NpyData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

export interface NpyArray {
  /** The dtype as stored in the file. '<f2' data is widened (exactly) to a Float32Array. */
  dtype: NpyDtype;
  shape: number[];
  /** Elements in C (row-major) order, whatever order the file used. */
  data: NpyData;
}

/** Thrown with a rule; callers wrap it with the file and entry name. */
export class NpyFormatError extends Error {
  override name = 'NpyFormatError';
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/**
 * numpy itself refuses headers over 10,000 bytes (max_header_size); real ones are ~128. The text is
 * decoded without spreading bytes into a call (a 900 KB header once overflowed the stack).
 */
export const MAX_NPY_HEADER_BYTES = 64 * 1024;
/** Bytes that hold the magic, version and header length: enough to call npyHeaderEnd. */
export const NPY_PREAMBLE_BYTES = 12;
const ITEM_SIZE: Readonly<Record<NpyDtype, number>> = { '<f4': 4, '<f2': 2, '<f8': 8, '<i4': 4, '<i8': 8, '|u1': 1 };

function isNpyDtype(d: string): d is NpyDtype {
  return Object.prototype.hasOwnProperty.call(ITEM_SIZE, d);
}

/** What a .npy header says, and where its data starts and how long it must be. */
export interface NpyHeader {
  dtype: NpyDtype;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the first element (magic + version + length + header text). */
  dataStart: number;
  /** prod(shape) × item size, exactly. */
  dataBytes: bigint;
}

/**
 * Where the header ends (= where data starts), from the first NPY_PREAMBLE_BYTES bytes, with the
 * header-length cap applied; lets a reader fetch just the header of an entry.
 */
export function npyHeaderEnd(bytes: Uint8Array): number {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new NpyFormatError('missing the \\x93NUMPY magic');
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (major < 1 || major > 3 || minor !== 0) throw new NpyFormatError(`unknown .npy version ${major}.${minor}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major === 1) return 10 + checkedHeaderLength(view.getUint16(8, true));
  if (bytes.length < 12) throw new NpyFormatError('truncated header length');
  return 12 + checkedHeaderLength(view.getUint32(8, true));
}

function checkedHeaderLength(length: number): number {
  if (length > MAX_NPY_HEADER_BYTES) throw new NpyFormatError(`header of ${length} bytes is over the ${MAX_NPY_HEADER_BYTES}-byte limit`);
  return length;
}

/** Parses the header of `bytes` (which must hold at least the whole header; data may be absent). */
export function parseNpyHeader(bytes: Uint8Array): NpyHeader {
  const dataStart = npyHeaderEnd(bytes);
  if (dataStart > bytes.length) throw new NpyFormatError('header runs past the end of the array');
  const headerStart = bytes[6] === 1 ? 10 : 12;
  const headerBytes = bytes.subarray(headerStart, dataStart);
  let headerText: string;
  if (bytes[6] === 3) {
    try {
      headerText = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    } catch {
      throw new NpyFormatError('v3 header is not valid UTF-8');
    }
  } else {
    headerText = Buffer.from(headerBytes.buffer, headerBytes.byteOffset, headerBytes.byteLength).toString('latin1');
  }
  const header = parseHeaderDict(headerText);
  let count = 1n;
  for (const d of header.shape) count *= BigInt(d);
  return { ...header, dataStart, dataBytes: count * BigInt(ITEM_SIZE[header.dtype]) };
}

export function parseNpy(bytes: Uint8Array): NpyArray {
  const header = parseNpyHeader(bytes);
  const { dataStart } = header;
  const itemSize = ITEM_SIZE[header.dtype];
  const actual = BigInt(bytes.length - dataStart);
  if (header.dataBytes !== actual) {
    throw new NpyFormatError(`shape (${header.shape.join(', ')}) × ${header.dtype} needs ${header.dataBytes} data bytes, found ${actual}`);
  }
  const n = Number(header.dataBytes) / itemSize;
  // Typed views need an aligned offset; copy when the header length left us unaligned.
  const body =
    (bytes.byteOffset + dataStart) % itemSize === 0 ? bytes.subarray(dataStart) : new Uint8Array(bytes.subarray(dataStart));
  let data = typedView(header.dtype, body, n);
  if (header.fortranOrder && header.shape.length > 1) data = fortranToC(data, header.shape);
  return { dtype: header.dtype, shape: header.shape, data };
}

function typedView(dtype: NpyDtype, body: Uint8Array, n: number): NpyData {
  const { buffer, byteOffset } = body;
  switch (dtype) {
    case '<f4':
      return new Float32Array(buffer, byteOffset, n);
    case '<f2':
      return f16ToF32(new Uint16Array(buffer, byteOffset, n));
    case '<f8':
      return new Float64Array(buffer, byteOffset, n);
    case '<i4':
      return new Int32Array(buffer, byteOffset, n);
    case '<i8':
      return new BigInt64Array(buffer, byteOffset, n);
    case '|u1':
      return new Uint8Array(buffer, byteOffset, n);
  }
}

/** Column-major elements → row-major: C position (i0..ik) reads F offset Σ i_j · Π_{m<j} shape_m. */
function fortranToC<T extends NpyData>(src: T, shape: number[]): T {
  const out = new (src.constructor as new (n: number) => T)(src.length);
  const rank = shape.length;
  const fStride: number[] = [];
  let s = 1;
  for (let j = 0; j < rank; j++) {
    fStride.push(s);
    s *= shape[j]!;
  }
  const index = new Array<number>(rank).fill(0);
  let fOffset = 0;
  for (let c = 0; c < src.length; c++) {
    (out as unknown as number[])[c] = (src as unknown as number[])[fOffset]!;
    // odometer over C order: last axis fastest
    for (let j = rank - 1; j >= 0; j--) {
      index[j]!++;
      fOffset += fStride[j]!;
      if (index[j]! < shape[j]!) break;
      fOffset -= index[j]! * fStride[j]!;
      index[j] = 0;
    }
  }
  return out;
}

interface NpyHeaderDict {
  dtype: NpyDtype;
  fortranOrder: boolean;
  shape: number[];
}

type Token = { kind: 'punct'; value: string } | { kind: 'string'; value: string } | { kind: 'name'; value: string } | { kind: 'int'; value: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\n' || c === '\t' || c === '\r') {
      i++;
    } else if ('{}():,[]'.includes(c)) {
      tokens.push({ kind: 'punct', value: c });
      i++;
    } else if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw new NpyFormatError('unterminated string in header');
      const value = text.slice(i + 1, end);
      if (value.includes('\\')) throw new NpyFormatError('escapes in header strings are not supported');
      tokens.push({ kind: 'string', value });
      i = end + 1;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+/.exec(text.slice(i, i + 32))!;
      tokens.push({ kind: 'int', value: m[0] });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i, i + 64))!;
      tokens.push({ kind: 'name', value: m[0] });
      i += m[0].length;
    } else {
      throw new NpyFormatError(`unexpected character ${JSON.stringify(c)} in header`);
    }
  }
  return tokens;
}

function parseHeaderDict(text: string): NpyHeaderDict {
  if (!text.endsWith('\n')) throw new NpyFormatError("header does not end with '\\n'");
  const t = tokenize(text);
  let p = 0;
  const peek = (): Token | undefined => t[p];
  const expectPunct = (v: string): void => {
    const tok = t[p++];
    if (tok?.kind !== 'punct' || tok.value !== v) throw new NpyFormatError(`header: expected '${v}'`);
  };
  expectPunct('{');
  let descr: string | undefined;
  let fortran: boolean | undefined;
  let shape: number[] | undefined;
  const seen = new Set<string>();
  while (!(peek()?.kind === 'punct' && peek()!.value === '}')) {
    const key = t[p++];
    if (key?.kind !== 'string') throw new NpyFormatError('header: expected a quoted key');
    if (seen.has(key.value)) throw new NpyFormatError(`header: duplicate key '${key.value}'`);
    seen.add(key.value);
    expectPunct(':');
    if (key.value === 'descr') {
      const v = t[p++];
      if (v?.kind === 'punct' && v.value === '[') throw new NpyFormatError('structured dtypes are not supported');
      if (v?.kind !== 'string') throw new NpyFormatError("header: 'descr' must be a dtype string");
      descr = v.value;
    } else if (key.value === 'fortran_order') {
      const v = t[p++];
      if (v?.kind !== 'name' || (v.value !== 'True' && v.value !== 'False')) throw new NpyFormatError("header: 'fortran_order' must be True or False");
      fortran = v.value === 'True';
    } else if (key.value === 'shape') {
      expectPunct('(');
      shape = [];
      while (!(peek()?.kind === 'punct' && peek()!.value === ')')) {
        const d = t[p++];
        if (d?.kind !== 'int') throw new NpyFormatError("header: 'shape' must be a tuple of non-negative integers");
        const n = Number(d.value);
        if (!Number.isSafeInteger(n)) throw new NpyFormatError("header: 'shape' dimension beyond 2^53");
        shape.push(n);
        if (peek()?.kind === 'punct' && peek()!.value === ',') p++;
        else break;
      }
      expectPunct(')');
    } else {
      throw new NpyFormatError(`header: unexpected key '${key.value}'`);
    }
    if (peek()?.kind === 'punct' && peek()!.value === ',') p++;
    else break;
  }
  expectPunct('}');
  if (p !== t.length) throw new NpyFormatError('header: text after the dictionary');
  if (descr === undefined || fortran === undefined || shape === undefined) {
    throw new NpyFormatError("header must give 'descr', 'fortran_order' and 'shape'");
  }
  if (descr.includes('O')) throw new NpyFormatError(`object dtype '${descr}' holds a pickle; refusing to load it`);
  if (!isNpyDtype(descr)) {
    throw new NpyFormatError(`dtype '${descr}' is not supported (supported: ${Object.keys(ITEM_SIZE).join(', ')})`);
  }
  return { dtype: descr, fortranOrder: fortran, shape };
}
