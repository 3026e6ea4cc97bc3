// Activation store: a folder of shards plus manifest.json, one folder per hook.
//
//   manifest.json           what was captured (model, hook, d_in, dtype, corpus sha256, window
//                           settings), the shard list (tokens, windows, bytes, sha256, Σ‖x‖ each),
//                           and the corpus cursor where the next shard starts — the resume point
//   shard-000000.safetensors  activations [tokens, d_in] F32 or F16, token_ids [tokens] I32
//
// Shards are safetensors rather than raw little-endian blobs: each is self-describing (dtype and
// shape in its header, so a shard is never misread with the wrong d_in), goes through the strict
// reader in formats/, and opens in Python with `safetensors.numpy.load_file` for interoperability
// with SAELens-style tooling. The header is a few hundred bytes per shard of megabytes.
//
// Writes are crash-safe in this order: shard (temp file, fsync, rename), then the manifest the same
// way. A kill between the two leaves a shard the manifest does not list; opening the store for
// resume deletes it, and capture restarts from the manifest's cursor: the last complete shard.
//
// Memory: the writer holds one shard's rows in a buffer allocated once (bufferBytes), so capture
// memory does not grow with the corpus.

import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { FeaturescopeError } from '../../shared/errors';
import { jsonSyntaxProblem } from '../formats/jsonProblem';
import { writeFileAtomic } from '../formats/atomic';
import { f16ToF32 } from '../formats/halfFloat';
import { SafetensorsFile, writeSafetensors } from '../formats/safetensors';
import { f32ToF16 } from './float16';

export const MANIFEST_FILE = 'manifest.json';
export const STORE_FORMAT = 'featurescope.activations/1';
export const ACTIVATIONS_TENSOR = 'activations';
export const TOKEN_IDS_TENSOR = 'token_ids';

export type StoreDtype = 'float32' | 'float16';

const cursorSchema = z.object({
  corpus: z.object({ file: z.number().int().min(0), offset: z.number().int().min(0), line: z.number().int().min(0), part: z.number().int().min(0) }).strict(),
  tokenOffset: z.number().int().min(0),
}).strict();

const identitySchema = z.object({
  model: z.object({ name: z.string(), family: z.string(), config_sha256: z.string() }).strict(),
  hook: z.string().min(1),
  d_in: z.number().int().positive(),
  dtype: z.enum(['float32', 'float16']),
  corpus: z.object({ kind: z.enum(['txt', 'jsonl', 'folder']), sha256: z.string(), bytes: z.number().int().min(0), text_field: z.string().optional() }).strict(),
  window_settings: z.object({
    contextLength: z.number().int().min(2),
    bos: z.enum(['prepend', 'separator', 'none']),
    bosTokenId: z.number().int().min(0).nullable(),
    maskSpecialTokens: z.boolean(),
    specialTokenIds: z.array(z.number().int().min(0)),
  }).strict(),
}).strict();

const shardSchema = z.object({
  file: z.string().regex(/^shard-\d{6}\.safetensors$/),
  tokens: z.number().int().min(0),
  windows: z.number().int().min(0),
  bytes: z.number().int().positive(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  norm_sum: z.number().min(0),
}).strict();

const manifestSchema = identitySchema.extend({
  format: z.literal(STORE_FORMAT),
  shards: z.array(shardSchema),
  tokens: z.number().int().min(0),
  windows: z.number().int().min(0),
  position: cursorSchema,
  complete: z.boolean(),
}).strict();

export type StoreIdentity = z.infer<typeof identitySchema>;
export type ShardEntry = z.infer<typeof shardSchema>;
export type StoreManifest = z.infer<typeof manifestSchema>;
export type StoreCursor = z.infer<typeof cursorSchema>;

const START_CURSOR: StoreCursor = { corpus: { file: 0, offset: 0, line: 0, part: 0 }, tokenOffset: 0 };
const MAX_OPEN_SHARDS = 16;
const SHARD_NAME = /^shard-\d{6}\.safetensors$/;
const TEMP_NAME = /^\.(shard-\d{6}\.safetensors|manifest\.json)\..+\.tmp$/;

export function shardFileName(index: number): string {
  return `shard-${String(index).padStart(6, '0')}.safetensors`;
}

export function elementBytes(dtype: StoreDtype): number {
  return dtype === 'float16' ? 2 : 4;
}

export function readManifest(dir: string): StoreManifest {
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) throw new FeaturescopeError('not_found', `${dir}: not an activation store (no ${MANIFEST_FILE})`);
  let json: unknown;
  const text = readFileSync(path, 'utf8');
  try {
    json = JSON.parse(text);
  } catch {
    throw new FeaturescopeError('bad_file', `${path}: ${jsonSyntaxProblem(text)}`);
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FeaturescopeError('bad_file', `${path}: ${issue?.path.join('.') || 'manifest'}: ${issue?.message ?? 'invalid'}`);
  }
  const m = parsed.data;
  if (m.tokens !== m.shards.reduce((s, x) => s + x.tokens, 0)) throw new FeaturescopeError('bad_file', `${path}: tokens does not equal the sum of the shards' tokens`);
  m.shards.forEach((s, i) => {
    if (s.file !== shardFileName(i)) throw new FeaturescopeError('bad_file', `${path}: shards.${i}.file must be ${shardFileName(i)}`);
  });
  return m;
}

function sha256File(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(1 << 20);
    for (let pos = 0; ; ) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** The first identity field that differs, as "field: stored vs requested", or null. */
function identityDifference(stored: StoreIdentity, wanted: StoreIdentity): string | null {
  for (const key of Object.keys(identitySchema.shape) as (keyof StoreIdentity)[]) {
    const a = JSON.stringify(stored[key]);
    const b = JSON.stringify(wanted[key]);
    if (a !== b) return `${key}: stored ${a}, requested ${b}`;
  }
  return null;
}

export interface WriterOptions {
  /** Bytes of the in-memory shard buffer (rows and token ids); one shard holds at most this. */
  bufferBytes: number;
  /** Continue a store in `dir` made with the same settings (default true); false refuses one. */
  resume?: boolean;
  /** Fewer rows than bufferBytes allows (several hooks' stores share one row capacity). */
  capacityRows?: number;
}

/** Rows a buffer of `bufferBytes` holds: values plus one i32 token id per row. */
export function rowsForBuffer(bufferBytes: number, dIn: number, dtype: StoreDtype): number {
  return Math.floor(bufferBytes / (dIn * elementBytes(dtype) + 4));
}

export class ActivationStoreWriter {
  /** Rows the buffer holds; a shard has at most this many. */
  readonly capacityRows: number;
  private manifestState: StoreManifest;
  private readonly values: Float32Array | Uint16Array; // [capacityRows, d_in]
  private readonly tokenIds: Int32Array; // [capacityRows]
  private rows = 0;
  private windowsInShard = 0;
  private normSum = 0;
  /** Bytes the buffer was allocated with: the writer's whole memory for activations. */
  readonly bufferedBytesBound: number;

  private constructor(
    readonly dir: string,
    manifest: StoreManifest,
    bufferBytes: number,
    capacityRows: number | undefined,
  ) {
    this.manifestState = manifest;
    const d = manifest.d_in;
    this.capacityRows = Math.min(rowsForBuffer(bufferBytes, d, manifest.dtype), capacityRows ?? Infinity);
    if (this.capacityRows < 1) {
      throw new FeaturescopeError('invalid_input', `bufferBytes: ${bufferBytes} bytes cannot hold one row of ${d} ${manifest.dtype} values`, 'bufferBytes');
    }
    this.values = manifest.dtype === 'float16' ? new Uint16Array(this.capacityRows * d) : new Float32Array(this.capacityRows * d);
    this.tokenIds = new Int32Array(this.capacityRows);
    this.bufferedBytesBound = this.values.byteLength + this.tokenIds.byteLength;
  }

  /** Creates a store in `dir`, or reopens the one there for resume (same identity required). */
  static open(dir: string, identity: StoreIdentity, opts: WriterOptions): ActivationStoreWriter {
    const parsedIdentity = identitySchema.safeParse(identity);
    if (!parsedIdentity.success) throw new FeaturescopeError('internal', `store identity: ${parsedIdentity.error.issues[0]?.message}`);
    mkdirSync(dir, { recursive: true });
    if (!statSync(dir).isDirectory()) throw new FeaturescopeError('invalid_input', `${dir}: is a file; choose a folder for the activation store`, 'outDir');
    let manifest: StoreManifest;
    if (existsSync(join(dir, MANIFEST_FILE))) {
      const stored = readManifest(dir);
      if (opts.resume === false) {
        throw new FeaturescopeError('invalid_input', `${dir}: already holds an activation store; choose an empty folder or resume it`, 'outDir');
      }
      const diff = identityDifference(stored, identity);
      if (diff !== null) {
        throw new FeaturescopeError('invalid_input', `${dir}: holds a capture made with other settings (${diff}); choose an empty folder or the same settings`, 'outDir');
      }
      removeLeftovers(dir, stored);
      manifest = stored;
    } else {
      const foreign = readdirSync(dir).filter((n) => !TEMP_NAME.test(n) && !SHARD_NAME.test(n));
      if (foreign.length > 0) {
        throw new FeaturescopeError('invalid_input', `${dir}: is not empty (${foreign.slice(0, 3).join(', ')}); choose an empty folder for the activation store`, 'outDir');
      }
      manifest = { format: STORE_FORMAT, ...identity, shards: [], tokens: 0, windows: 0, position: START_CURSOR, complete: false };
      removeLeftovers(dir, manifest);
      writeFileAtomic(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 1)}\n`);
    }
    return new ActivationStoreWriter(dir, manifest, opts.bufferBytes, opts.capacityRows);
  }

  get manifest(): StoreManifest {
    return this.manifestState;
  }

  /** Rows waiting in the buffer (not yet in a shard). */
  get bufferedRows(): number {
    return this.rows;
  }

  get freeRows(): number {
    return this.capacityRows - this.rows;
  }

  /**
   * Adds `tokens.length` rows (`acts` is [rows, d_in] f32) from `windows` whole windows.
   * They must fit: the caller flushes first when freeRows is too small.
   */
  append(acts: Float32Array, tokens: ArrayLike<number>, windows: number): void {
    const d = this.manifestState.d_in;
    const n = tokens.length;
    if (acts.length !== n * d) throw new FeaturescopeError('internal', `append: ${acts.length} values for ${n} rows of ${d}`);
    if (n > this.freeRows) throw new FeaturescopeError('internal', `append: ${n} rows do not fit in ${this.freeRows} free rows; flush first`);
    const at = this.rows * d;
    if (this.values instanceof Uint16Array) {
      const narrow = this.values.subarray(at, at + n * d);
      f32ToF16(acts, narrow);
      this.normSum += sumOfRowNorms(f16ToF32(narrow), n, d);
    } else {
      this.values.set(acts, at);
      this.normSum += sumOfRowNorms(acts, n, d);
    }
    for (let i = 0; i < n; i++) this.tokenIds[this.rows + i] = tokens[i]!;
    this.rows += n;
    this.windowsInShard += windows;
  }

  /**
   * Writes the buffered rows as the next shard (if any) and then the manifest, with `position` the
   * cursor of the window after the last one appended.
   */
  flush(position: StoreCursor, complete = false): ShardEntry | null {
    const m = this.manifestState;
    let entry: ShardEntry | null = null;
    if (this.rows > 0 || this.windowsInShard > 0) {
      const file = shardFileName(m.shards.length);
      const path = join(this.dir, file);
      const d = m.d_in;
      writeSafetensors(
        path,
        [
          { name: ACTIVATIONS_TENSOR, dtype: m.dtype === 'float16' ? 'F16' : 'F32', shape: [this.rows, d], data: this.values.subarray(0, this.rows * d) },
          { name: TOKEN_IDS_TENSOR, dtype: 'I32', shape: [this.rows], data: this.tokenIds.subarray(0, this.rows) },
        ],
        { format: STORE_FORMAT, hook: m.hook, model: m.model.name },
      );
      // Hash what is on disk, not what we meant to write.
      entry = { file, tokens: this.rows, windows: this.windowsInShard, bytes: statSync(path).size, sha256: sha256File(path), norm_sum: this.normSum };
    }
    const shards = entry === null ? m.shards : [...m.shards, entry];
    this.commitManifest({
      ...m,
      shards,
      tokens: m.tokens + (entry?.tokens ?? 0),
      windows: m.windows + (entry?.windows ?? 0),
      position,
      complete,
    });
    this.rows = 0;
    this.windowsInShard = 0;
    this.normSum = 0;
    return entry;
  }

  /**
   * Keeps the first `count` shards, marks the store unfinished, and sets the resume cursor (to line
   * several hooks' stores up after a kill that landed between their manifest writes).
   */
  rewind(count: number, position: StoreCursor): void {
    const m = this.manifestState;
    if (count > m.shards.length) throw new FeaturescopeError('internal', `rewind: ${count} shards asked, the store has ${m.shards.length}`);
    const shards = m.shards.slice(0, count);
    this.commitManifest({ ...m, shards, tokens: shards.reduce((s, x) => s + x.tokens, 0), windows: shards.reduce((s, x) => s + x.windows, 0), position, complete: false });
    for (const s of m.shards.slice(count)) unlinkSync(join(this.dir, s.file));
  }

  private commitManifest(next: StoreManifest): void {
    writeFileAtomic(join(this.dir, MANIFEST_FILE), `${JSON.stringify(next, null, 1)}\n`);
    this.manifestState = next;
  }
}

function sumOfRowNorms(values: Float32Array, rows: number, d: number): number {
  let total = 0;
  for (let r = 0; r < rows; r++) {
    let sq = 0;
    for (let j = r * d; j < (r + 1) * d; j++) sq += values[j]! * values[j]!;
    total += Math.sqrt(sq);
  }
  return total;
}

/** Deletes temp files and shards the manifest does not list; checks the listed ones are whole. */
function removeLeftovers(dir: string, m: StoreManifest): void {
  const listed = new Set(m.shards.map((s) => s.file));
  for (const name of readdirSync(dir)) {
    if (TEMP_NAME.test(name) || (SHARD_NAME.test(name) && !listed.has(name))) unlinkSync(join(dir, name));
  }
  for (const s of m.shards) {
    const path = join(dir, s.file);
    if (!existsSync(path) || statSync(path).size !== s.bytes) {
      throw new FeaturescopeError('bad_file', `${path}: missing or not ${s.bytes} bytes as the manifest says; the store is damaged, capture into an empty folder`);
    }
  }
}

interface ShardLayout {
  /** File offsets of the two tensors' data. */
  activations: number;
  tokenIds: number;
}

/** Random access to a finished (or partial) store: rows by shard, widened to f32. */
export class ActivationStore {
  private readonly layouts = new Map<number, ShardLayout>();
  /** Open shard files, most recently used last; a shuffle reads chunks from many shards in turn. */
  private readonly fds = new Map<number, number>();
  private scratch = new ArrayBuffer(0);

  private constructor(
    readonly dir: string,
    readonly manifest: StoreManifest,
  ) {}

  static open(dir: string): ActivationStore {
    return new ActivationStore(dir, readManifest(dir));
  }

  get dIn(): number {
    return this.manifest.d_in;
  }

  get tokens(): number {
    return this.manifest.tokens;
  }

  /** Mean ‖x‖₂ over every stored row (of the values as stored), for SAE input scaling. */
  meanNorm(): number {
    const m = this.manifest;
    if (m.tokens === 0) throw new FeaturescopeError('invalid_input', `${this.dir}: the store has no tokens`);
    return m.shards.reduce((s, x) => s + x.norm_sum, 0) / m.tokens;
  }

  /** Copies rows [start, start+count) of shard `shard` into `out` at row `outRow`, as f32. */
  readRows(shard: number, start: number, count: number, out: Float32Array, outRow = 0): void {
    const entry = this.shardEntry(shard);
    const d = this.manifest.d_in;
    if (start < 0 || count < 0 || start + count > entry.tokens) throw new FeaturescopeError('internal', `readRows: rows ${start}+${count} outside shard ${shard} of ${entry.tokens}`);
    const layout = this.layout(shard);
    const el = elementBytes(this.manifest.dtype);
    const bytes = count * d * el;
    const raw = this.readBytes(shard, layout.activations + start * d * el, bytes);
    const target = out.subarray(outRow * d, (outRow + count) * d);
    if (this.manifest.dtype === 'float16') f16ToF32(new Uint16Array(raw.buffer, raw.byteOffset, count * d), target);
    else target.set(new Float32Array(raw.buffer, raw.byteOffset, count * d));
  }

  readShard(shard: number): { activations: Float32Array; tokenIds: Int32Array } {
    const entry = this.shardEntry(shard);
    const activations = new Float32Array(entry.tokens * this.manifest.d_in);
    this.readRows(shard, 0, entry.tokens, activations);
    const raw = this.readBytes(shard, this.layout(shard).tokenIds, entry.tokens * 4);
    return { activations, tokenIds: new Int32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + entry.tokens * 4)) };
  }

  /** Re-hashes every shard against the manifest; bad_file names the first that differs. */
  verify(): void {
    for (const s of this.manifest.shards) {
      const path = join(this.dir, s.file);
      if (sha256File(path) !== s.sha256) throw new FeaturescopeError('bad_file', `${path}: sha256 differs from the manifest; the shard is damaged`);
    }
  }

  private shardEntry(shard: number): ShardEntry {
    const entry = this.manifest.shards[shard];
    if (entry === undefined) throw new FeaturescopeError('internal', `shard ${shard} does not exist (the store has ${this.manifest.shards.length})`);
    return entry;
  }

  /** Validates a shard's header (strict reader) against the manifest once, and keeps the offsets. */
  private layout(shard: number): ShardLayout {
    const known = this.layouts.get(shard);
    if (known !== undefined) return known;
    const entry = this.shardEntry(shard);
    const path = join(this.dir, entry.file);
    const file = SafetensorsFile.open(path);
    try {
      const acts = file.tensors.get(ACTIVATIONS_TENSOR);
      const ids = file.tensors.get(TOKEN_IDS_TENSOR);
      const dtype = this.manifest.dtype === 'float16' ? 'F16' : 'F32';
      if (acts === undefined || acts.dtype !== dtype || acts.shape.join() !== `${entry.tokens},${this.manifest.d_in}`) {
        throw new FeaturescopeError('bad_file', `${path}: tensor "${ACTIVATIONS_TENSOR}" must be ${dtype} [${entry.tokens}, ${this.manifest.d_in}] as the manifest says`);
      }
      if (ids === undefined || ids.dtype !== 'I32' || ids.shape.join() !== `${entry.tokens}`) {
        throw new FeaturescopeError('bad_file', `${path}: tensor "${TOKEN_IDS_TENSOR}" must be I32 [${entry.tokens}]`);
      }
      const layout = { activations: file.dataStart + acts.begin, tokenIds: file.dataStart + ids.begin };
      this.layouts.set(shard, layout);
      return layout;
    } finally {
      file.close();
    }
  }

  /** Closes the shard files this reader opened; it opens them again if used afterwards. */
  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }

  private fd(shard: number): number {
    const open = this.fds.get(shard);
    if (open !== undefined) {
      this.fds.delete(shard);
      this.fds.set(shard, open);
      return open;
    }
    if (this.fds.size >= MAX_OPEN_SHARDS) {
      const [oldest, fd] = this.fds.entries().next().value as [number, number];
      closeSync(fd);
      this.fds.delete(oldest);
    }
    const fd = openSync(join(this.dir, this.shardEntry(shard).file), 'r');
    this.fds.set(shard, fd);
    return fd;
  }

  /** Positioned read into a reused, 4-byte-aligned scratch buffer (valid until the next read). */
  private readBytes(shard: number, position: number, length: number): Uint8Array {
    if (this.scratch.byteLength < length) this.scratch = new ArrayBuffer(Math.max(length, this.scratch.byteLength * 2));
    const view = new Uint8Array(this.scratch, 0, length);
    const fd = this.fd(shard);
    let got = 0;
    while (got < length) {
      const n = readSync(fd, view, got, length - got, position + got);
      if (n === 0) throw new FeaturescopeError('bad_file', `${join(this.dir, this.shardEntry(shard).file)}: ends before byte ${position + length}`);
      got += n;
    }
    return view;
  }
}
