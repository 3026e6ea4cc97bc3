// A strict, read-only zip reader for npz archives: entries are read into memory one at a time,
// never extracted to disk.
//
// Untrusted-archive rules: one End Of Central Directory record exactly at the end, counts and
// offsets that agree between EOCD, central directory and local headers, entries that do not
// overlap (overlapping entries are how "non-recursive" zip bombs multiply output), stored or
// deflate only, no encryption, a cap on entries, on each entry's size, on the total and on the
// compression ratio, inflate bounded by the declared size, and CRC-32 checked. Zip64 fields are
// read as exact 64-bit numbers and checked against the file like the 32-bit ones.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import * as zlib from 'node:zlib';
import { FeaturescopeError } from '../../shared/errors';

export interface ZipLimits {
  /** Most entries an archive may list. */
  maxEntries: number;
  /** Largest uncompressed size of one entry, in bytes. */
  maxEntryBytes: number;
  /** Largest sum of uncompressed sizes, in bytes. */
  maxTotalBytes: number;
  /** Largest uncompressed:compressed ratio of a deflated entry. */
  maxCompressionRatio: number;
  /** A deflated entry bigger than this, uncompressed, must also keep under `maxLargeEntryRatio`. */
  largeEntryBytes: number;
  /**
   * Trained float weights barely compress (~1.1:1), so a large entry that shrinks far more is a
   * bomb whose headers were made to agree with each other; the general cap alone let a 2.3 MB file
   * declare two 1 GiB arrays (922:1).
   */
  maxLargeEntryRatio: number;
}

export const DEFAULT_ZIP_LIMITS: Readonly<ZipLimits> = {
  maxEntries: 64,
  maxEntryBytes: 4 * 1024 ** 3,
  maxTotalBytes: 16 * 1024 ** 3,
  maxCompressionRatio: 1000,
  largeEntryBytes: 64 * 1024 ** 2,
  maxLargeEntryRatio: 32,
};

export interface ZipEntry {
  name: string;
  method: 0 | 8; // stored | deflate
  /** General-purpose bit flags from the central directory. */
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  /** File offset of the entry's (compressed) data, after the local header. */
  dataOffset: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const EOCD_SIZE = 22;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_EOCD_SIZE = 56;
const CENTRAL_HEADER_SIZE = 46;
const LOCAL_HEADER_SIZE = 30;
const MAX_COMMENT = 0xffff;
const FLAG_ENCRYPTED = 0x0001;
const FLAG_STRONG_ENCRYPTION = 0x0040;
const FLAG_UTF8 = 0x0800;
const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;

export class ZipArchive {
  private fd: number | undefined;

  private constructor(
    readonly path: string,
    fd: number,
    readonly entries: ZipEntry[],
    private readonly limits: ZipLimits,
  ) {
    this.fd = fd;
  }

  static open(path: string, limits: Partial<ZipLimits> = {}): ZipArchive {
    const lim: ZipLimits = { ...DEFAULT_ZIP_LIMITS, ...limits };
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new FeaturescopeError('not_found', `${path}: no such file`);
      throw new FeaturescopeError('failed', `${path}: cannot open: ${(err as Error).message}`);
    }
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile()) throw badZip(path, 'not a regular file');
      const entries = readDirectory(path, fd, stat.size, lim);
      return new ZipArchive(path, fd, entries, lim);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** The entry's uncompressed bytes, CRC-checked, in a fresh buffer (offset 0, so aligned). */
  read(entry: ZipEntry): Uint8Array {
    if (this.fd === undefined) throw new FeaturescopeError('internal', `${this.path}: read after close`);
    const where = `entry ${JSON.stringify(entry.name)}`;
    // Checked here, before the whole entry is allocated, rather than when the directory is read: a
    // reader's own checks of the entry's header (readPrefix) come first and say more precisely what is wrong.
    const { largeEntryBytes, maxLargeEntryRatio } = this.limits;
    if (entry.method === 8 && entry.uncompressedSize > largeEntryBytes && entry.uncompressedSize > entry.compressedSize * maxLargeEntryRatio) {
      throw badZip(
        this.path,
        `${where} declares ${entry.uncompressedSize} bytes from ${entry.compressedSize} compressed (${(entry.uncompressedSize / Math.max(entry.compressedSize, 1)).toFixed(0)}:1); ` +
          `an entry over ${largeEntryBytes / 1024 ** 2} MiB may compress at most ${maxLargeEntryRatio}:1, as real weights do (zip bomb?)`,
      );
    }
    const compressed = new Uint8Array(entry.compressedSize);
    readExactly(this.path, this.fd, compressed, entry.dataOffset);
    let data: Uint8Array;
    if (entry.method === 0) {
      data = compressed;
    } else {
      try {
        // Bounded by the declared size: a lying header cannot make us allocate more.
        const out = zlib.inflateRawSync(compressed, { maxOutputLength: Math.max(1, entry.uncompressedSize) });
        if (out.length !== entry.uncompressedSize) {
          throw badZip(this.path, `${where} inflates to ${out.length} bytes, not the declared ${entry.uncompressedSize}`);
        }
        // Small Buffers live in a shared pool at any offset; copy those so typed views align.
        data = out.byteOffset % 8 === 0 ? new Uint8Array(out.buffer, out.byteOffset, out.length) : new Uint8Array(out);
      } catch (err) {
        if (err instanceof FeaturescopeError) throw err;
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ERR_BUFFER_TOO_LARGE') {
          throw badZip(this.path, `${where} inflates to more than the declared ${entry.uncompressedSize} bytes`);
        }
        throw badZip(this.path, `${where} has corrupt deflate data (${(err as Error).message})`);
      }
    }
    const crc = crc32(data);
    if (crc !== entry.crc32) {
      throw badZip(this.path, `${where} fails its CRC-32 check (stored ${hex32(entry.crc32)}, computed ${hex32(crc)})`);
    }
    return data;
  }

  /**
   * At least the first `length` bytes of the entry's uncompressed data (all of it when shorter),
   * inflating at most about length + 64 KiB whatever the compression ratio: a reader can check an
   * entry's header against its declared size before it inflates the entry whole. Not CRC-checked
   * (the CRC covers the whole entry; `read` checks it).
   */
  readPrefix(entry: ZipEntry, length: number): Uint8Array {
    if (this.fd === undefined) throw new FeaturescopeError('internal', `${this.path}: read after close`);
    const want = Math.min(length, entry.uncompressedSize);
    if (entry.method === 0) {
      const out = new Uint8Array(want);
      readExactly(this.path, this.fd, out, entry.dataOffset);
      return out;
    }
    return inflatePrefix(this.path, this.fd, entry, want);
  }

  close(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}

/** More output than asked for that a prefix read may hold: one deflate input byte yields ≤ ~1 KiB. */
const PREFIX_SLACK = 64 * 1024;

/**
 * The first `want` bytes of a deflated entry, from the shortest compressed prefix that yields them.
 * Truncated input inflates with Z_SYNC_FLUSH (everything decodable so far); maxOutputLength keeps
 * every attempt under want + PREFIX_SLACK, and a bisection over the prefix length finds one that
 * yields enough without exceeding it.
 */
function inflatePrefix(path: string, fd: number, entry: ZipEntry, want: number): Uint8Array {
  const where = `entry ${JSON.stringify(entry.name)}`;
  const limit = want + PREFIX_SLACK;
  let compressed = new Uint8Array(0);
  const attempt = (inputBytes: number): Uint8Array | 'too-large' => {
    if (inputBytes > compressed.length) {
      const grown = new Uint8Array(inputBytes);
      grown.set(compressed);
      readExactly(path, fd, grown.subarray(compressed.length), entry.dataOffset + compressed.length);
      compressed = grown;
    }
    try {
      return zlib.inflateRawSync(compressed.subarray(0, inputBytes), { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: limit });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return 'too-large';
      throw badZip(path, `${where} has corrupt deflate data (${(err as Error).message})`);
    }
  };
  let short = 0; // a prefix length known to yield fewer than `want` bytes
  let long = Infinity; // a prefix length known to yield more than `limit`
  let p = Math.min(entry.compressedSize, 4096);
  for (;;) {
    const out = attempt(p);
    if (out === 'too-large') long = p;
    else if (out.length >= want || p === entry.compressedSize) return new Uint8Array(out.buffer, out.byteOffset, out.length);
    else short = p;
    const next = long === Infinity ? Math.min(2 * p, entry.compressedSize) : Math.floor((short + long) / 2);
    if (next <= short) throw badZip(path, `${where} inflates faster than deflate allows; its data is corrupt`);
    p = next;
  }
}

function badZip(path: string, rule: string): FeaturescopeError {
  return new FeaturescopeError('bad_file', `${path}: not a valid zip archive: ${rule}`);
}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

function readExactly(path: string, fd: number, out: Uint8Array, position: number): void {
  let done = 0;
  while (done < out.length) {
    const n = readSync(fd, out, done, Math.min(out.length - done, 1 << 30), position + done);
    if (n === 0) throw badZip(path, `file ends at byte ${position + done}, inside a record expected at ${position}`);
    done += n;
  }
}

function readAt(path: string, fd: number, position: number, length: number): DataView {
  const buf = new Uint8Array(length);
  readExactly(path, fd, buf, position);
  return new DataView(buf.buffer);
}

/** A u64 that must fit a JS number exactly (and so any real file offset or size). */
function u64(path: string, view: DataView, at: number, what: string): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw badZip(path, `${what} ${v} is beyond 2^53`);
  return Number(v);
}

interface Directory {
  count: number;
  size: number;
  offset: number;
  /** Where the central directory must end: the zip64 EOCD record, or the EOCD. */
  endsAt: number;
}

function findDirectory(path: string, fd: number, fileSize: number): Directory {
  if (fileSize < EOCD_SIZE) throw badZip(path, `file is ${fileSize} bytes, too short for an end-of-central-directory record`);
  const tailLength = Math.min(fileSize, EOCD_SIZE + MAX_COMMENT);
  const tailStart = fileSize - tailLength;
  const tail = readAt(path, fd, tailStart, tailLength);
  // The EOCD is the record whose comment runs exactly to the end of the file.
  let eocdAt = -1;
  for (let i = tailLength - EOCD_SIZE; i >= 0; i--) {
    if (tail.getUint32(i, true) === SIG_EOCD && i + EOCD_SIZE + tail.getUint16(i + 20, true) === tailLength) {
      eocdAt = i;
      break;
    }
  }
  if (eocdAt < 0) throw badZip(path, 'no end-of-central-directory record at the end of the file');
  const eocdPosition = tailStart + eocdAt;
  const disk = tail.getUint16(eocdAt + 4, true);
  const cdDisk = tail.getUint16(eocdAt + 6, true);
  const diskEntries = tail.getUint16(eocdAt + 8, true);
  const totalEntries = tail.getUint16(eocdAt + 10, true);
  const cdSize = tail.getUint32(eocdAt + 12, true);
  const cdOffset = tail.getUint32(eocdAt + 16, true);

  const needsZip64 = totalEntries === U16_MAX || diskEntries === U16_MAX || cdSize === U32_MAX || cdOffset === U32_MAX;
  const locatorPosition = eocdPosition - ZIP64_LOCATOR_SIZE;
  const hasLocator = locatorPosition >= 0 && readAt(path, fd, locatorPosition, 4).getUint32(0, true) === SIG_ZIP64_LOCATOR;
  if (!needsZip64 && !hasLocator) {
    if (disk !== 0 || cdDisk !== 0 || diskEntries !== totalEntries) throw badZip(path, 'multi-disk archives are not supported');
    return { count: totalEntries, size: cdSize, offset: cdOffset, endsAt: eocdPosition };
  }
  if (!hasLocator) throw badZip(path, 'EOCD fields say zip64 but there is no zip64 locator');
  const locator = readAt(path, fd, locatorPosition, ZIP64_LOCATOR_SIZE);
  if (locator.getUint32(4, true) !== 0 || locator.getUint32(16, true) !== 1) throw badZip(path, 'multi-disk zip64 archives are not supported');
  const z64Position = u64(path, locator, 8, 'zip64 EOCD offset');
  if (z64Position + ZIP64_EOCD_SIZE > locatorPosition) throw badZip(path, 'zip64 EOCD record is not before its locator');
  const z = readAt(path, fd, z64Position, ZIP64_EOCD_SIZE);
  if (z.getUint32(0, true) !== SIG_ZIP64_EOCD) throw badZip(path, 'zip64 locator does not point at a zip64 EOCD record');
  // Its record size field counts the bytes after the first 12; extensible data would sit
  // between it and the locator. We accept none: the record must end where the locator starts.
  if (u64(path, z, 4, 'zip64 EOCD size') + 12 !== locatorPosition - z64Position) {
    throw badZip(path, 'zip64 EOCD record size does not reach its locator');
  }
  if (z.getUint32(16, true) !== 0 || z.getUint32(20, true) !== 0) throw badZip(path, 'multi-disk zip64 archives are not supported');
  const count64 = u64(path, z, 24, 'zip64 entry count');
  if (u64(path, z, 32, 'zip64 total entry count') !== count64) throw badZip(path, 'multi-disk zip64 archives are not supported');
  const size64 = u64(path, z, 40, 'zip64 central directory size');
  const offset64 = u64(path, z, 48, 'zip64 central directory offset');
  // Where the 32-bit EOCD gives a real value, it must agree with the zip64 one.
  if ((totalEntries !== U16_MAX && totalEntries !== count64) || (cdSize !== U32_MAX && cdSize !== size64) || (cdOffset !== U32_MAX && cdOffset !== offset64)) {
    throw badZip(path, 'EOCD and zip64 EOCD disagree');
  }
  return { count: count64, size: size64, offset: offset64, endsAt: z64Position };
}

function readDirectory(path: string, fd: number, fileSize: number, limits: ZipLimits): ZipEntry[] {
  const dir = findDirectory(path, fd, fileSize);
  if (dir.count > limits.maxEntries) throw badZip(path, `${dir.count} entries exceeds the limit of ${limits.maxEntries}`);
  if (dir.offset + dir.size !== dir.endsAt) {
    throw badZip(path, `central directory [${dir.offset}, ${dir.offset + dir.size}) does not end at the end record (${dir.endsAt})`);
  }
  if (dir.size > dir.count * (CENTRAL_HEADER_SIZE + 3 * U16_MAX)) throw badZip(path, 'central directory larger than its entries could be');
  const cd = readAt(path, fd, dir.offset, dir.size);
  const bytes = new Uint8Array(cd.buffer);
  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  let total = 0;
  let p = 0;
  for (let i = 0; i < dir.count; i++) {
    if (p + CENTRAL_HEADER_SIZE > dir.size || cd.getUint32(p, true) !== SIG_CENTRAL) {
      throw badZip(path, `central directory entry ${i} is missing or malformed`);
    }
    const flags = cd.getUint16(p + 8, true);
    const method = cd.getUint16(p + 10, true);
    const crc = cd.getUint32(p + 16, true);
    let compressedSize = cd.getUint32(p + 20, true);
    let uncompressedSize = cd.getUint32(p + 24, true);
    const nameLength = cd.getUint16(p + 28, true);
    const extraLength = cd.getUint16(p + 30, true);
    const commentLength = cd.getUint16(p + 32, true);
    const diskStart = cd.getUint16(p + 34, true);
    let localHeaderOffset = cd.getUint32(p + 42, true);
    const recordEnd = p + CENTRAL_HEADER_SIZE + nameLength + extraLength + commentLength;
    if (recordEnd > dir.size) throw badZip(path, `central directory entry ${i} runs past the directory`);
    const name = decodeName(path, bytes.subarray(p + CENTRAL_HEADER_SIZE, p + CENTRAL_HEADER_SIZE + nameLength), flags);
    const where = `entry ${JSON.stringify(name)}`;
    if (flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) throw badZip(path, `${where} is encrypted`);
    if (method !== 0 && method !== 8) throw badZip(path, `${where} uses compression method ${method}; only stored (0) and deflate (8) are read`);
    if (diskStart !== 0 && diskStart !== U16_MAX) throw badZip(path, `${where} starts on another disk`);

    // Zip64 extra field: present values replace, in this order, the 32-bit fields set to 0xFFFFFFFF.
    const extra = new DataView(cd.buffer, p + CENTRAL_HEADER_SIZE + nameLength, extraLength);
    const z64 = findExtra(extra, 0x0001);
    if (uncompressedSize === U32_MAX || compressedSize === U32_MAX || localHeaderOffset === U32_MAX) {
      if (z64 === undefined) throw badZip(path, `${where} has 0xFFFFFFFF fields but no zip64 extra field`);
      let q = 0;
      const next = (what: string): number => {
        if (q + 8 > z64.byteLength) throw badZip(path, `${where} zip64 extra field is too short for its ${what}`);
        const v = u64(path, z64, q, `${where} ${what}`);
        q += 8;
        return v;
      };
      if (uncompressedSize === U32_MAX) uncompressedSize = next('uncompressed size');
      if (compressedSize === U32_MAX) compressedSize = next('compressed size');
      if (localHeaderOffset === U32_MAX) localHeaderOffset = next('local header offset');
    }

    if (names.has(name)) throw badZip(path, `duplicate entry name ${JSON.stringify(name)}`);
    names.add(name);
    if (uncompressedSize > limits.maxEntryBytes) {
      throw badZip(path, `${where} is ${uncompressedSize} bytes uncompressed, over the ${limits.maxEntryBytes}-byte limit`);
    }
    total += uncompressedSize;
    if (total > limits.maxTotalBytes) throw badZip(path, `entries add up to more than the ${limits.maxTotalBytes}-byte limit`);
    if (method === 0 && compressedSize !== uncompressedSize) throw badZip(path, `${where} is stored but its two sizes differ`);
    if (method === 8 && uncompressedSize > 0 && uncompressedSize > compressedSize * limits.maxCompressionRatio) {
      throw badZip(
        path,
        `${where} compression ratio ${(uncompressedSize / Math.max(compressedSize, 1)).toFixed(0)}:1 exceeds the ${limits.maxCompressionRatio}:1 limit (zip bomb?)`,
      );
    }
    entries.push({ name, method, flags, crc32: crc, compressedSize, uncompressedSize, localHeaderOffset, dataOffset: -1 });
    p = recordEnd;
  }
  if (p !== dir.size) throw badZip(path, `${dir.size - p} unexplained bytes at the end of the central directory`);

  for (const e of entries) e.dataOffset = checkLocalHeader(path, fd, e);
  // Entries must not share bytes with each other or with the directory.
  const sorted = [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i]!;
    const end = e.dataOffset + e.compressedSize;
    const nextStart = i + 1 < sorted.length ? sorted[i + 1]!.localHeaderOffset : dir.offset;
    if (end > nextStart) throw badZip(path, `entry ${JSON.stringify(e.name)} overlaps the next record at ${nextStart}`);
  }
  return entries;
}

function findExtra(extra: DataView, id: number): DataView | undefined {
  let p = 0;
  while (p + 4 <= extra.byteLength) {
    const tag = extra.getUint16(p, true);
    const size = extra.getUint16(p + 2, true);
    if (p + 4 + size > extra.byteLength) return undefined;
    if (tag === id) return new DataView(extra.buffer, extra.byteOffset + p + 4, size);
    p += 4 + size;
  }
  return undefined;
}

function decodeName(path: string, raw: Uint8Array, flags: number): string {
  if (flags & FLAG_UTF8) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      throw badZip(path, 'an entry name is not valid UTF-8');
    }
  }
  // Without the UTF-8 flag names are CP437; we accept only the ASCII subset both agree on.
  for (const b of raw) if (b >= 0x80) throw badZip(path, 'an entry name has non-ASCII bytes without the UTF-8 flag');
  // Not String.fromCharCode(...raw): a 64 KiB name spread into a call can overflow the stack.
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
}

/** Checks the local header against the central directory; returns where the data starts. */
function checkLocalHeader(path: string, fd: number, e: ZipEntry): number {
  const where = `entry ${JSON.stringify(e.name)}`;
  if (e.localHeaderOffset + LOCAL_HEADER_SIZE > Number.MAX_SAFE_INTEGER) throw badZip(path, `${where} offset out of range`);
  const h = readAt(path, fd, e.localHeaderOffset, LOCAL_HEADER_SIZE);
  if (h.getUint32(0, true) !== SIG_LOCAL) throw badZip(path, `${where} has no local header at offset ${e.localHeaderOffset}`);
  const localFlags = h.getUint16(6, true);
  if (localFlags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) throw badZip(path, `${where} is encrypted`);
  if (h.getUint16(8, true) !== e.method) throw badZip(path, `${where} local and central compression methods differ`);
  const nameLength = h.getUint16(26, true);
  const extraLength = h.getUint16(28, true);
  const nameAndExtra = readAt(path, fd, e.localHeaderOffset + LOCAL_HEADER_SIZE, nameLength + extraLength);
  const localName = decodeName(path, new Uint8Array(nameAndExtra.buffer, 0, nameLength), localFlags);
  if (localName !== e.name) throw badZip(path, `${where} local header names ${JSON.stringify(localName)}`);
  // With a data descriptor (flag bit 3) the local CRC and sizes may be zero; the central
  // directory's values are used and the CRC check after reading still covers the data.
  if ((localFlags & 0x0008) === 0 && (e.flags & 0x0008) === 0) {
    if (h.getUint32(14, true) !== e.crc32) throw badZip(path, `${where} local and central CRC-32 differ`);
    let localCompressed = h.getUint32(18, true);
    let localUncompressed = h.getUint32(22, true);
    if (localCompressed === U32_MAX || localUncompressed === U32_MAX) {
      const z64 = findExtra(new DataView(nameAndExtra.buffer, nameLength, extraLength), 0x0001);
      if (z64 === undefined || z64.byteLength < 16) throw badZip(path, `${where} local header lacks its zip64 sizes`);
      localUncompressed = u64(path, z64, 0, `${where} local uncompressed size`);
      localCompressed = u64(path, z64, 8, `${where} local compressed size`);
    }
    if (localCompressed !== e.compressedSize || localUncompressed !== e.uncompressedSize) {
      throw badZip(path, `${where} local and central sizes differ`);
    }
  }
  return e.localHeaderOffset + LOCAL_HEADER_SIZE + nameLength + extraLength;
}

// CRC-32 (IEEE): node:zlib's native crc32 where this Node has it (20.15+), a table otherwise.
let crcTable: Uint32Array | undefined;
export function crc32(data: Uint8Array): number {
  const native = (zlib as unknown as { crc32?: (d: Uint8Array) => number }).crc32;
  if (typeof native === 'function') return native(data) >>> 0;
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
