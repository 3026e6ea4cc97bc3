// Token text as a reader sees it: each token's text taken in context, never decoded on its own.
//
// SentencePiece-style decoders (Llama 2, Mistral, TinyLlama: Replace ▁→space, ByteFallback, Fuse,
// Strip one leading space) drop the word-initial space of a text's first token, so decode([id])
// of "▁looked" is "looked" and a run of tokens decoded one by one loses every space. Decoding
// [anchor, id] and dropping the anchor's text gives " looked" with whatever decoder the
// tokenizer has (byte-level, Metaspace, WordPiece alike). Byte tokens that are only part of a
// character (<0xE2> of "€", or GPT-2's "âĢ") would decode to "�": inside a sequence the run that
// makes the character is merged (its text on the run's first token, "" on the rest); a lone
// partial byte token shows its bytes, "<0xE2>".

const REPLACEMENT = '\uFFFD';
/** Tokens a run of byte tokens may span: a UTF-8 character is at most 4 bytes. */
const MAX_RUN = 4;
/** Pieces tried as the anchor, commonest first; any one that decodes stably will do. */
const ANCHOR_PIECES = ['a', 'e', 't', 'x', 'A', '0', 'the'];

export interface Vocabulary {
  decode(ids: number[]): string;
  /** The vocabulary piece of an id ("▁the", "Ġthe", "<0xE2>"), undefined when there is none. */
  piece(id: number): string | undefined;
  pieceId(piece: string): number | undefined;
  /** Whether the decoder is GPT-2's byte-level one (pieces are bytes spelled as characters). */
  byteLevel: boolean;
}

export class TokenTexts {
  private readonly lone = new Map<number, string>();
  private readonly anchor: { id: number; text: string } | null;

  constructor(private readonly vocab: Vocabulary) {
    this.anchor = findAnchor(vocab);
  }

  /** One token as it reads inside running text (logit tables, next-token lists). */
  text(id: number): string {
    let s = this.lone.get(id);
    if (s === undefined) {
      s = this.inContext([id]);
      if (s.includes(REPLACEMENT) && !(this.vocab.piece(id) ?? '').includes(REPLACEMENT)) s = this.bytesLabel(id, s);
      this.lone.set(id, s);
    }
    return s;
  }

  /**
   * Each token of a sequence as it reads there; joined they give the sequence's text. A run of
   * byte tokens that together make whole characters carries its text on its first token and ""
   * on the others.
   */
  texts(ids: ArrayLike<number>): string[] {
    const list = Array.from(ids);
    const out: string[] = new Array<string>(list.length);
    for (let i = 0; i < list.length; i++) {
      const id = list[i]!;
      const alone = this.inContextCached(id);
      if (!alone.includes(REPLACEMENT) || (this.vocab.piece(id) ?? '').includes(REPLACEMENT)) {
        out[i] = alone;
        continue;
      }
      let merged = -1;
      for (let j = i + 1; j < Math.min(list.length, i + MAX_RUN); j++) {
        const run = this.inContext(list.slice(i, j + 1));
        if (!run.includes(REPLACEMENT)) {
          out[i] = run;
          merged = j;
          break;
        }
      }
      if (merged < 0) {
        out[i] = this.text(id);
        continue;
      }
      for (let k = i + 1; k <= merged; k++) out[k] = '';
      i = merged;
    }
    return out;
  }

  private readonly raw = new Map<number, string>();
  private inContextCached(id: number): string {
    let s = this.raw.get(id);
    if (s === undefined) this.raw.set(id, (s = this.inContext([id])));
    return s;
  }

  private inContext(ids: number[]): string {
    if (this.anchor === null) return this.vocab.decode(ids);
    const s = this.vocab.decode([this.anchor.id, ...ids]);
    return s.startsWith(this.anchor.text) ? s.slice(this.anchor.text.length) : this.vocab.decode(ids);
  }

  /** A lone token that is part of a character: its bytes, whole characters kept ("<0xE2>", " <0xE2><0x80>"). */
  private bytesLabel(id: number, decoded: string): string {
    const piece = this.vocab.piece(id) ?? '';
    if (/^<0x[0-9A-Fa-f]{2}>$/.test(piece)) return piece.toUpperCase().replace('<0X', '<0x');
    if (this.vocab.byteLevel) {
      const bytes = byteLevelBytes(piece);
      if (bytes !== null) return utf8WithHexBytes(bytes);
    }
    return decoded;
  }
}

function findAnchor(vocab: Vocabulary): { id: number; text: string } | null {
  for (const piece of ANCHOR_PIECES) {
    const id = vocab.pieceId(piece);
    if (id === undefined) continue;
    const text = vocab.decode([id]);
    // Stable: its text still starts a text it begins (a decoder that rewrites the start of a
    // text would shift it).
    if (text.length > 0 && !text.includes(REPLACEMENT) && vocab.decode([id, id]).startsWith(text)) return { id, text };
  }
  return null;
}

let byteOfChar: Map<string, number> | null = null;

/** GPT-2's bytes_to_unicode, inverted: the byte each piece character stands for. */
function byteLevelBytes(piece: string): Uint8Array | null {
  if (byteOfChar === null) {
    byteOfChar = new Map();
    let n = 0;
    for (let b = 0; b < 256; b++) {
      const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
      byteOfChar.set(String.fromCodePoint(printable ? b : 256 + n++), b);
    }
  }
  const bytes: number[] = [];
  for (const ch of piece) {
    const b = byteOfChar.get(ch);
    if (b === undefined) return null;
    bytes.push(b);
  }
  return Uint8Array.from(bytes);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 text with every byte that is not part of a whole character written as <0xNN>. */
export function utf8WithHexBytes(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const n = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (n > 0 && i + n <= bytes.length) {
      try {
        out += strictUtf8.decode(bytes.subarray(i, i + n));
        i += n;
        continue;
      } catch {
        // not a whole character: fall through to its first byte in hex
      }
    }
    out += `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
    i++;
  }
  return out;
}
