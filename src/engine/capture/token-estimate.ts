// How many tokens a capture will store, for its progress total: tokens per corpus byte read so far
// times the corpus size (a first guess until a batch has run), re-estimated after every batch.
//
// It used to be re-estimated only when a shard was flushed, at the start of the cursor's piece, so a
// capture that fit one shard kept its first guess and counted past it ("100.0 % 116716/94691
// tokens"). The cursor is a piece (up to 16 KiB, which may be a whole small corpus) plus a token
// offset into it, so the bytes read count that piece's share too.
import type { CorpusCursor, CorpusPiece, CorpusScan } from './corpus';
import type { StoreCursor } from './store';

/** Tokens per corpus byte assumed for the progress total until real counts come in. */
const GUESS_TOKENS_PER_BYTE = 0.25;

export class TokenEstimate {
  /** Each piece seen by the window builder, by the byte it starts at: its bytes and tokens. */
  private readonly pieces = new Map<number, { bytes: number; tokens: number }>();
  private encoding = -1;
  private bytesRead = 0;

  constructor(private readonly scan: Pick<CorpusScan, 'bytes' | 'files'>) {}

  /** Bytes of the corpus before `c`. */
  bytesBefore(c: CorpusCursor): number {
    return this.scan.files.slice(0, c.file).reduce((s, f) => s + f.bytes, 0) + c.offset;
  }

  /** Wraps the corpus pieces so each one's size is known while it is worked through. */
  *measure(pieces: Iterable<CorpusPiece>): Generator<CorpusPiece> {
    for (const piece of pieces) {
      this.encoding = this.bytesBefore(piece.start);
      this.pieces.set(this.encoding, { bytes: this.bytesBefore(piece.next) - this.encoding, tokens: 0 });
      yield piece;
    }
  }

  /** The piece last handed out by measure() encoded to `tokens` ids. */
  encoded(tokens: number): void {
    const piece = this.pieces.get(this.encoding);
    if (piece !== undefined) piece.tokens = tokens;
  }

  /** The store's cursor moved to `position` (after a batch or a flush). */
  reached(position: StoreCursor): void {
    const start = this.bytesBefore(position.corpus);
    for (const key of this.pieces.keys()) if (key < start) this.pieces.delete(key); // left behind
    const piece = this.pieces.get(start);
    this.bytesRead = piece !== undefined && piece.tokens > 0 ? start + piece.bytes * Math.min(1, position.tokenOffset / piece.tokens) : start;
  }

  /** Tokens the whole capture will hold with `stored` so far (capped by maxTokens). */
  total(stored: number, maxTokens: number): number {
    const perByte = this.bytesRead > 0 ? stored / this.bytesRead : GUESS_TOKENS_PER_BYTE;
    return Math.min(maxTokens, stored + (this.scan.bytes - this.bytesRead) * perByte);
  }
}
