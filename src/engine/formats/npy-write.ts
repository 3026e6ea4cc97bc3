// Writing one float32 `.npy` array (format 1.0, or 2.0 when the header needs it), as numpy.save
// does: magic, version, header length, a dict literal padded with spaces to a 64-byte boundary and
// ending in '\n', then the C-order elements. Written atomically (temp file, fsync, rename).
import { AtomicFileWriter } from './atomic';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;

/** The bytes before the data of a little-endian float32 array of `shape`. */
export function npyF32Header(shape: readonly number[]): Uint8Array {
  // numpy spells a 1-d shape "(n,)", others "(a, b)".
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${dims}, }`;
  for (const [version, lengthBytes] of [[1, 2], [2, 4]] as const) {
    const preamble = MAGIC.length + 2 + lengthBytes;
    const total = Math.ceil((preamble + dict.length + 1) / ALIGN) * ALIGN;
    const headerLength = total - preamble;
    if (version === 1 && headerLength > 0xffff) continue;
    const out = new Uint8Array(total);
    out.set(MAGIC, 0);
    out[6] = version;
    out[7] = 0;
    const view = new DataView(out.buffer);
    if (lengthBytes === 2) view.setUint16(8, headerLength, true);
    else view.setUint32(8, headerLength, true);
    const text = `${dict}${' '.repeat(headerLength - dict.length - 1)}\n`;
    out.set(Buffer.from(text, 'latin1'), preamble);
    return out;
  }
  throw new Error('unreachable: a version 2.0 header holds any shape');
}

/** Writes `data` (C order, prod(shape) elements) to `path` as a float32 .npy, whole or not at all. */
export function writeNpyF32(path: string, shape: readonly number[], data: Float32Array): void {
  const elements = shape.reduce((a, b) => a * b, 1);
  if (elements !== data.length) throw new Error(`${path}: shape [${shape.join(', ')}] holds ${elements} elements, the data ${data.length}`);
  const header = npyF32Header(shape);
  const writer = AtomicFileWriter.create(path, { expectedBytes: header.byteLength + data.byteLength });
  try {
    writer.write(header);
    // Float32Array is host-endian; every platform we ship on is little-endian (as safetensors writing assumes).
    writer.write(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    writer.commit();
  } catch (err) {
    writer.abort();
    throw err;
  }
}
