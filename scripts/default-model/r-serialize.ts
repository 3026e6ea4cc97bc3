// Minimal reader for R's XDR serialization format (what saveRDS and R's lazy-load
// databases write). It reads only what a data package needs: atomic vectors, lists,
// pairlists, symbols and attributes. The corpus builder uses it to get the Jane Austen
// novels out of Debian's r-cran-janeaustenr without installing R.
import { gunzipSync, inflateSync } from 'node:zlib';

export type RValue =
  | { kind: 'null' }
  | { kind: 'symbol'; name: string }
  | { kind: 'string'; value: (string | null)[]; attributes: RAttributes }
  | { kind: 'int'; value: Int32Array; attributes: RAttributes }
  | { kind: 'logical'; value: Int32Array; attributes: RAttributes }
  | { kind: 'double'; value: Float64Array; attributes: RAttributes }
  | { kind: 'list'; value: RValue[]; attributes: RAttributes }
  | { kind: 'pairlist'; value: { tag: string | null; value: RValue }[]; attributes: RAttributes };

export type RAttributes = Map<string, RValue>;

const NILVALUE_SXP = 254;
const REFSXP = 255;
const EMPTYENV_SXP = 242;
const BASEENV_SXP = 241;
const GLOBALENV_SXP = 253;

const SYMSXP = 1;
const LISTSXP = 2;
const CHARSXP = 9;
const LGLSXP = 10;
const INTSXP = 13;
const REALSXP = 14;
const STRSXP = 16;
const VECSXP = 19;
const EXPRSXP = 20;

class XdrReader {
  private offset = 0;
  private readonly view: DataView;
  private readonly references: RValue[] = [];

  constructor(private readonly bytes: Uint8Array, private readonly source: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  readInt(): number {
    if (this.offset + 4 > this.bytes.length) throw new Error(`${this.source}: truncated R serialization`);
    const value = this.view.getInt32(this.offset, false);
    this.offset += 4;
    return value;
  }

  readDouble(): number {
    const value = this.view.getFloat64(this.offset, false);
    this.offset += 8;
    return value;
  }

  readBytes(length: number): Uint8Array {
    if (this.offset + length > this.bytes.length) throw new Error(`${this.source}: truncated R serialization`);
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  readHeader(): void {
    const magic = String.fromCharCode(...this.readBytes(2));
    if (magic !== 'X\n') throw new Error(`${this.source}: only XDR ('X\\n') R serialization is supported, found ${JSON.stringify(magic)}`);
    const version = this.readInt();
    this.readInt(); // writer's R version
    this.readInt(); // minimal reader version
    if (version === 3) this.readBytes(this.readInt()); // native encoding name
    else if (version !== 2) throw new Error(`${this.source}: R serialization version ${version} is not supported`);
  }

  private readLength(): number {
    const length = this.readInt();
    if (length !== -1) return length;
    const high = this.readInt();
    const low = this.readInt();
    return high * 2 ** 32 + (low >>> 0);
  }

  private readCharsxp(): string | null {
    const length = this.readInt();
    if (length === -1) return null; // NA_character_
    return new TextDecoder('utf-8').decode(this.readBytes(length));
  }

  private readAttributes(hasAttributes: boolean): RAttributes {
    const attributes: RAttributes = new Map();
    if (!hasAttributes) return attributes;
    const pairs = this.readItem();
    if (pairs.kind !== 'pairlist') throw new Error(`${this.source}: attributes are not a pairlist`);
    for (const { tag, value } of pairs.value) if (tag !== null) attributes.set(tag, value);
    return attributes;
  }

  readItem(): RValue {
    const flags = this.readInt();
    const type = flags & 0xff;
    const hasAttributes = (flags & (1 << 9)) !== 0;
    const hasTag = (flags & (1 << 10)) !== 0;
    switch (type) {
      case NILVALUE_SXP:
      case EMPTYENV_SXP:
      case BASEENV_SXP:
      case GLOBALENV_SXP:
        return { kind: 'null' };
      case REFSXP: {
        let index = flags >> 8;
        if (index === 0) index = this.readInt();
        const value = this.references[index - 1];
        if (value === undefined) throw new Error(`${this.source}: dangling reference ${index}`);
        return value;
      }
      case SYMSXP: {
        const name = this.readItem();
        // A symbol's print name is a CHARSXP, which readItem returns as a one-element string.
        const symbol: RValue = { kind: 'symbol', name: name.kind === 'string' ? (name.value[0] ?? '') : '' };
        this.references.push(symbol);
        return symbol;
      }
      case LISTSXP: {
        const entries: { tag: string | null; value: RValue }[] = [];
        let attributes: RAttributes = new Map();
        let currentFlags = flags;
        // Pairlists are linked lists; walk the CDR chain iteratively so long lists do not recurse.
        for (;;) {
          const itemHasAttributes = (currentFlags & (1 << 9)) !== 0;
          const itemHasTag = (currentFlags & (1 << 10)) !== 0;
          if (itemHasAttributes) attributes = this.readAttributes(true);
          let tag: string | null = null;
          if (itemHasTag) {
            const tagValue = this.readItem();
            tag = tagValue.kind === 'symbol' ? tagValue.name : null;
          }
          entries.push({ tag, value: this.readItem() });
          currentFlags = this.readInt();
          if ((currentFlags & 0xff) === NILVALUE_SXP) break;
          if ((currentFlags & 0xff) !== LISTSXP) {
            throw new Error(`${this.source}: pairlist ends in type ${currentFlags & 0xff}, expected NULL`);
          }
        }
        return { kind: 'pairlist', value: entries, attributes };
      }
      case CHARSXP:
        return { kind: 'string', value: [this.readCharsxp()], attributes: new Map() };
      case LGLSXP:
      case INTSXP: {
        const length = this.readLength();
        const value = new Int32Array(length);
        for (let i = 0; i < length; i++) value[i] = this.readInt();
        const attributes = this.readAttributes(hasAttributes);
        return { kind: type === INTSXP ? 'int' : 'logical', value, attributes };
      }
      case REALSXP: {
        const length = this.readLength();
        const value = new Float64Array(length);
        for (let i = 0; i < length; i++) value[i] = this.readDouble();
        return { kind: 'double', value, attributes: this.readAttributes(hasAttributes) };
      }
      case STRSXP: {
        const length = this.readLength();
        const value: (string | null)[] = [];
        for (let i = 0; i < length; i++) {
          const elementFlags = this.readInt();
          if ((elementFlags & 0xff) !== CHARSXP) throw new Error(`${this.source}: string vector element is type ${elementFlags & 0xff}`);
          value.push(this.readCharsxp());
        }
        return { kind: 'string', value, attributes: this.readAttributes(hasAttributes) };
      }
      case VECSXP:
      case EXPRSXP: {
        const length = this.readLength();
        const value: RValue[] = [];
        for (let i = 0; i < length; i++) value.push(this.readItem());
        return { kind: 'list', value, attributes: this.readAttributes(hasAttributes) };
      }
      default:
        void hasTag;
        throw new Error(`${this.source}: R object type ${type} is not supported by this reader`);
    }
  }
}

/** Parses one serialized R object (an .rds file's content after decompression). */
export function unserializeR(bytes: Uint8Array, source: string): RValue {
  const reader = new XdrReader(bytes, source);
  reader.readHeader();
  return reader.readItem();
}

function namesOf(value: RValue): (string | null)[] {
  if (value.kind === 'null' || value.kind === 'symbol') return [];
  const names = value.attributes.get('names');
  return names?.kind === 'string' ? names.value : [];
}

/**
 * Reads every variable of an R lazy-load database (`X.rdx` index + `X.rdb` data), as R
 * CMD INSTALL writes for a package's `data/` folder. Returns variable name → value.
 */
export function readLazyLoadDatabase(rdx: Uint8Array, rdb: Uint8Array, source: string): Map<string, RValue> {
  const index = unserializeR(gunzipSync(rdx), `${source}.rdx`);
  if (index.kind !== 'list') throw new Error(`${source}.rdx: index is not a list`);
  const indexNames = namesOf(index);
  const variables = index.value[indexNames.indexOf('variables')];
  if (variables === undefined || variables.kind !== 'list') throw new Error(`${source}.rdx: no 'variables' list`);
  const variableNames = namesOf(variables);
  const result = new Map<string, RValue>();
  variables.value.forEach((entry, i) => {
    const name = variableNames[i];
    if (entry.kind !== 'int' || entry.value.length !== 2 || name == null) throw new Error(`${source}.rdx: bad entry ${i}`);
    const [offset, length] = [entry.value[0]!, entry.value[1]!];
    const block = rdb.subarray(offset, offset + length);
    // Each block is a 4-byte big-endian uncompressed length followed by a zlib stream.
    const expected = new DataView(block.buffer, block.byteOffset, 4).getUint32(0, false);
    const inflated = inflateSync(block.subarray(4));
    if (inflated.length !== expected) throw new Error(`${source}.rdb: '${name}' inflated to ${inflated.length} bytes, index says ${expected}`);
    result.set(name, unserializeR(inflated, `${source}.rdb:${name}`));
  });
  return result;
}
