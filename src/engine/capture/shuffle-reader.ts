// The SAE trainer's data provider over an activation store: batches of rows drawn through a seeded
// shuffle buffer, every row exactly once per epoch.
//
// Mixing has two stages. Chunks of consecutive rows are read from a shard picked at random with
// probability proportional to the rows it has left this epoch, so the buffer holds pieces of many
// shards (and documents) at once; then each row out is a uniform random pick from the buffer
// (swap-remove). A new epoch's rows enter the buffer only after the last epoch's have all left, so
// any run of `store.tokens` rows from an epoch start is a permutation of the store. With a buffer
// as large as the store this is a uniform shuffle.

import { FeaturescopeError } from '../../shared/errors';
import type { ActivationProvider } from '../sae/train/dataProvider';
import { Rng } from '../random';
import type { ActivationStore } from './store';

/** Read position saved in trainer checkpoints (JSON). */
export interface ShuffleState {
  seed: number;
  bufferRows: number;
  chunkRows: number;
  /** Rows in the store when the position was taken: a different store cannot continue it. */
  storeTokens: number;
  rowsServed: number;
}

export interface ShuffleOptions {
  seed: number;
  /** Rows held for mixing (default: as many as fit in 256 MiB, at most the store). */
  bufferRows?: number;
  /** Consecutive rows read from one shard at a time (default 256, at most 1/16 of the buffer so it
   *  always mixes at least 16 chunks). */
  chunkRows?: number;
}

const DEFAULT_BUFFER_BYTES = 256 * 1024 * 1024;

export class ShuffledActivationReader implements ActivationProvider {
  readonly dIn: number;
  private rng: Rng;
  private readonly seed: number;
  /** Shard and row of each buffered row, so a skip can run without reading values. */
  private readonly bufferShard: Int32Array;
  private readonly bufferRow: Int32Array;
  private readonly capacity: number;
  private readonly chunkRows: number;
  private readonly buffer: Float32Array; // [capacity, d_in]
  private count = 0;
  private readonly shardRows: number[];
  private readonly shardNext: number[];
  private rowsLeftInEpoch = 0;
  private epochNumber = -1;
  private served = 0;

  constructor(
    private readonly store: ActivationStore,
    opts: ShuffleOptions,
  ) {
    if (store.tokens === 0) throw new FeaturescopeError('invalid_input', `${store.dir}: the activation store has no tokens`);
    if (!Number.isInteger(opts.seed)) throw new FeaturescopeError('invalid_input', 'seed: must be an integer', 'seed');
    this.dIn = store.dIn;
    this.seed = opts.seed;
    this.rng = Rng.fromSeed(opts.seed);
    const fit = Math.max(1, Math.floor(DEFAULT_BUFFER_BYTES / (this.dIn * 4)));
    this.capacity = Math.min(opts.bufferRows ?? fit, store.tokens);
    this.chunkRows = Math.max(1, Math.min(opts.chunkRows ?? Math.min(256, Math.floor(this.capacity / 16)), this.capacity));
    if (!Number.isInteger(this.capacity) || this.capacity < 1) throw new FeaturescopeError('invalid_input', 'bufferRows: must be a positive integer', 'bufferRows');
    this.buffer = new Float32Array(this.capacity * this.dIn);
    this.bufferShard = new Int32Array(this.capacity);
    this.bufferRow = new Int32Array(this.capacity);
    this.shardRows = store.manifest.shards.map((s) => s.tokens);
    this.shardNext = this.shardRows.map(() => 0);
  }

  /** 0-based epoch of the rows served last (-1 before the first). */
  get epoch(): number {
    return this.epochNumber;
  }

  /** Rows handed out so far; `skip(rowsServed)` on a fresh reader with the same seed resumes here. */
  get rowsServed(): number {
    return this.served;
  }

  /** Mean ‖x‖₂ over the whole store (exact, from the manifest), for the input scale √d_in / mean‖x‖. */
  meanNorm(): number {
    return this.store.meanNorm();
  }

  nextBatch(batchSize: number): Float32Array {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new FeaturescopeError('invalid_input', 'batchSize: must be a positive integer', 'batchSize');
    const out = new Float32Array(batchSize * this.dIn);
    for (let r = 0; r < batchSize; r++) this.take(out, r);
    return out;
  }

  /**
   * Advances past `rows` rows exactly as nextBatch would. Only row indices move while skipping; the
   * values still buffered at the end are read then, so skipping far costs no bulk reads.
   */
  skip(rows: number): void {
    if (!Number.isInteger(rows) || rows < 0) throw new FeaturescopeError('invalid_input', 'skip: rows must be a non-negative integer', 'rows');
    for (let r = 0; r < rows; r++) this.take(null, 0, true);
    for (let i = 0; i < this.count; i++) this.store.readRows(this.bufferShard[i]!, this.bufferRow[i]!, 1, this.buffer, i);
  }

  getState(): ShuffleState {
    return { seed: this.seed, bufferRows: this.capacity, chunkRows: this.chunkRows, storeTokens: this.store.tokens, rowsServed: this.served };
  }

  /** Continues from a saved position: same seed, buffer and store, then skips the rows served. */
  setState(state: unknown): void {
    const s = state as Partial<ShuffleState> | null;
    const mine = this.getState();
    for (const key of ['seed', 'bufferRows', 'chunkRows', 'storeTokens'] as const) {
      if (s === null || typeof s !== 'object' || s[key] !== mine[key]) {
        throw new FeaturescopeError('invalid_input', `data position: ${key} is ${JSON.stringify(s?.[key])}, this reader has ${mine[key]}; resume with the same store and shuffle settings`, key);
      }
    }
    this.rng = Rng.fromSeed(this.seed);
    this.count = 0;
    this.rowsLeftInEpoch = 0;
    this.epochNumber = -1;
    this.served = 0;
    this.skip(s?.rowsServed ?? 0);
  }

  private take(out: Float32Array | null, row: number, dry = false): void {
    if (this.count === 0) {
      if (this.rowsLeftInEpoch === 0) this.startEpoch();
      this.fill(dry);
    }
    const d = this.dIn;
    const pick = this.rng.below(this.count);
    if (out !== null) out.set(this.buffer.subarray(pick * d, (pick + 1) * d), row * d);
    const last = this.count - 1;
    if (pick !== last) {
      if (!dry) this.buffer.copyWithin(pick * d, last * d, (last + 1) * d);
      this.bufferShard[pick] = this.bufferShard[last]!;
      this.bufferRow[pick] = this.bufferRow[last]!;
    }
    this.count = last;
    this.served++;
    // Top up once a whole chunk fits, so reads stay chunk-sized.
    if (this.rowsLeftInEpoch > 0 && this.capacity - this.count >= this.chunkRows) this.fill(dry);
  }

  private startEpoch(): void {
    this.epochNumber++;
    this.shardNext.fill(0);
    this.rowsLeftInEpoch = this.store.tokens;
  }

  /** Reads chunks into the free part of the buffer while whole chunks fit and the epoch has rows. */
  private fill(dry: boolean): void {
    while (this.rowsLeftInEpoch > 0 && this.count < this.capacity) {
      // Shard chosen with probability (rows it has left) / (rows left in the epoch).
      let r = this.rng.below(this.rowsLeftInEpoch);
      let shard = 0;
      for (; shard < this.shardRows.length; shard++) {
        const left = this.shardRows[shard]! - this.shardNext[shard]!;
        if (r < left) break;
        r -= left;
      }
      const left = this.shardRows[shard]! - this.shardNext[shard]!;
      const n = Math.min(this.chunkRows, left, this.capacity - this.count);
      const first = this.shardNext[shard]!;
      if (!dry) this.store.readRows(shard, first, n, this.buffer, this.count);
      for (let k = 0; k < n; k++) {
        this.bufferShard[this.count + k] = shard;
        this.bufferRow[this.count + k] = first + k;
      }
      this.shardNext[shard] = first + n;
      this.count += n;
      this.rowsLeftInEpoch -= n;
      if (this.capacity - this.count < this.chunkRows) break;
    }
  }
}
