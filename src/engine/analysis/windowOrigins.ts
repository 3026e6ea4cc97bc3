// Where each token of a window came from: (document index, token offset in the document), so an
// example can say "document 12, from token 340" (ExampleRecord.doc / start).
//
// makeWindows (capture/windows.ts) consumes a stream of tokens: each piece's ids, with the BOS or
// separator put in front of a document's first piece. This module sits on both sides of it: it
// wraps the pieces (to know which document is being encoded) and the encode function (to record
// each stream token's origin), then matches every window against that stream the way makeWindows
// builds it. In 'prepend' mode a window whose first stream token is not a BOS gets an added BOS,
// which has no origin in the corpus (doc of the next token, offset −1).

import type { CorpusPiece } from '../capture/corpus';
import type { BosMode, TokenWindow } from '../capture/windows';

export interface TokenOrigin {
  doc: number;
  /** Token offset in the document's stream (its BOS/separator is 0 when it has one); −1 for an added BOS. */
  offset: number;
}

export class WindowOriginTracker {
  /** Stream tokens not yet matched to a window: id, doc, offset. */
  private queue: { id: number; doc: number; offset: number }[] = [];
  private head = 0;
  private doc = -1;
  private docOffset = 0;
  private startsDocument = false;

  constructor(
    private readonly bos: BosMode,
    private readonly bosTokenId: number | null,
  ) {}

  /** Pass the corpus pieces through this before makeWindows. */
  *pieces(source: Iterable<CorpusPiece>): Generator<CorpusPiece> {
    for (const piece of source) {
      this.startsDocument = piece.startsDocument;
      if (piece.startsDocument) {
        this.doc++;
        this.docOffset = 0;
      }
      yield piece;
    }
  }

  /** Wrap makeWindows' encode function with this. */
  encoder(encode: (text: string) => number[]): (text: string) => number[] {
    return (text) => {
      const ids = encode(text);
      const doc = Math.max(0, this.doc);
      // makeWindows puts the BOS/separator in front of a document's first piece.
      if (this.startsDocument && this.bos !== 'none') this.queue.push({ id: this.bosTokenId ?? -1, doc, offset: this.docOffset++ });
      for (const id of ids) this.queue.push({ id, doc, offset: this.docOffset++ });
      return ids;
    };
  }

  /** Origins of a window's tokens; call once per window, in order. */
  origins(window: TokenWindow): TokenOrigin[] {
    const out: TokenOrigin[] = [];
    for (let p = 0; p < window.tokens.length; p++) {
      const next = this.queue[this.head];
      const addedBos = p === 0 && this.bos === 'prepend' && (next === undefined || next.id !== this.bosTokenId);
      if (addedBos) {
        out.push({ doc: next?.doc ?? Math.max(0, this.doc), offset: -1 });
        continue;
      }
      if (next === undefined) throw new Error('internal: window origin tracker ran out of stream tokens');
      out.push({ doc: next.doc, offset: next.offset });
      this.head++;
    }
    // Drop matched tokens now and then so the queue stays about one piece long.
    if (this.head > 4096) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return out;
  }
}
