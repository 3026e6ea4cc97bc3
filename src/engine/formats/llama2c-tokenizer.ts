// llama2.c tokenizer files (tokenizer.bin, tok512.bin …): int32 max_token_length, then per token
// f32 score, int32 length, that many bytes. Pieces are SentencePiece's with '▁' stored as ' '; id
// 0 is <unk>, 1 BOS, 2 EOS, 3…258 the byte-fallback tokens <0x00>…<0xFF> (run.c hard-codes
// byte + 3). The vocabulary size is not in the file: it is the checkpoint's.
//
// run.c encodes by prepending one space (to non-empty text), splitting into characters (a
// character outside the vocabulary becomes its UTF-8 bytes' tokens) and then merging, again and
// again, the adjacent pair whose concatenation is the best-scoring piece. A Hugging Face BPE model
// with byte fallback does the same when its merges are every (left, right) split of each piece,
// ranked by that piece's score: that is the tokenizer.json written here (as transformers' own
// SentencePiece converter builds it).

import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { FeaturescopeError } from '../../shared/errors';

export interface Llama2cVocabulary {
  /** Pieces as SentencePiece spells them ('▁' for a space); ids 0–2 are <unk>, <s>, </s>. */
  pieces: string[];
  scores: number[];
}

const SPECIALS = ['<unk>', '<s>', '</s>'] as const;
const FIRST_BYTE_TOKEN = 3;
/** Longer pieces than this are no SentencePiece vocabulary (run.c sizes a buffer by it). */
const MAX_PIECE_BYTES = 4096;

function badFile(path: string, rule: string, field?: string): FeaturescopeError {
  return new FeaturescopeError('bad_file', `${basename(path)}: ${rule}`, field);
}

const byteToken = (b: number): string => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;

/** max_token_length, the file's first int32. */
function readHeader(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4);
    readSync(fd, head, 0, 4, 0);
    return head.readInt32LE(0);
  } finally {
    closeSync(fd);
  }
}

/** Reads a llama2.c tokenizer of `vocabSize` tokens (the checkpoint's), checked piece by piece. */
export function readLlama2cTokenizer(path: string, vocabSize: number): Llama2cVocabulary {
  const size = statSync(path).size;
  if (size < 4) throw badFile(path, `is ${size} bytes, shorter than its 4-byte max_token_length header`, 'max_token_length');
  const maxLength = readHeader(path);
  if (maxLength < 1 || maxLength > MAX_PIECE_BYTES) throw badFile(path, `header field max_token_length is ${maxLength}; it must be from 1 to ${MAX_PIECE_BYTES}`, 'max_token_length');
  // Sized before it is read: a checkpoint passed by mistake is not loaded whole to be refused.
  const largest = 4 + vocabSize * (8 + maxLength);
  if (size > largest) throw badFile(path, `is ${size} bytes, more than ${vocabSize} tokens (vocab_size of the checkpoint) of at most max_token_length (${maxLength}) bytes can take (${largest}): it is not this model's tokenizer`);
  const bytes = readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const pieces: string[] = [];
  const scores: number[] = [];
  const seen = new Map<string, number>();
  let at = 4;
  for (let id = 0; id < vocabSize; id++) {
    if (at + 8 > bytes.length) throw badFile(path, `ends at token ${id} of the model's ${vocabSize} (vocab_size of the checkpoint): the file is truncated or belongs to another model`, `token ${id}`);
    const score = view.getFloat32(at, true);
    const length = view.getInt32(at + 4, true);
    at += 8;
    if (!Number.isFinite(score)) throw badFile(path, `token ${id} has a non-finite score; scores must be finite numbers`, `token ${id}`);
    if (length < 1 || length > maxLength) throw badFile(path, `token ${id} has length ${length}; it must be from 1 to max_token_length (${maxLength})`, `token ${id}`);
    if (at + length > bytes.length) throw badFile(path, `ends inside token ${id} of the model's ${vocabSize}: the file is truncated`, `token ${id}`);
    let text: string;
    try {
      text = utf8.decode(bytes.subarray(at, at + length));
    } catch {
      throw badFile(path, `token ${id} is not valid UTF-8 text`, `token ${id}`);
    }
    at += length;
    const piece = id < SPECIALS.length ? SPECIALS[id]! : text.replaceAll(' ', '▁');
    if (id >= FIRST_BYTE_TOKEN && id < FIRST_BYTE_TOKEN + 256 && piece !== byteToken(id - FIRST_BYTE_TOKEN)) {
      throw badFile(path, `token ${id} must be the byte token ${byteToken(id - FIRST_BYTE_TOKEN)} (llama2.c reads ids 3–258 as the bytes 0x00–0xFF)`, `token ${id}`);
    }
    const twin = seen.get(piece);
    if (twin !== undefined) throw badFile(path, `token ${id} repeats the piece of token ${twin}; each piece must appear once`, `token ${id}`);
    seen.set(piece, id);
    pieces.push(piece);
    scores.push(score);
  }
  if (at !== bytes.length) throw badFile(path, `has ${bytes.length - at} bytes after its ${vocabSize} tokens (vocab_size of the checkpoint): it belongs to another model`);
  return { pieces, scores };
}

/** Every (left, right) split of each mergeable piece into two pieces, best-scoring result first. */
function mergesOf(vocab: Llama2cVocabulary): Array<[string, string]> {
  const ids = new Map(vocab.pieces.map((p, i) => [p, i]));
  const found: Array<{ left: string; right: string; score: number; id: number; leftId: number }> = [];
  vocab.pieces.forEach((piece, id) => {
    if (id < SPECIALS.length) return; // specials are never the result of a merge in run.c's text
    const chars = [...piece];
    for (let cut = 1; cut < chars.length; cut++) {
      const left = chars.slice(0, cut).join('');
      const right = chars.slice(cut).join('');
      const leftId = ids.get(left);
      const rightId = ids.get(right);
      if (leftId === undefined || rightId === undefined || leftId < SPECIALS.length || rightId < SPECIALS.length) continue;
      found.push({ left, right, score: vocab.scores[id]!, id, leftId });
    }
  });
  // run.c takes the best score and, on a tie, the leftmost pair; ids break ties between pieces.
  found.sort((a, b) => b.score - a.score || a.id - b.id || a.leftId - b.leftId);
  return found.map((m) => [m.left, m.right]);
}

/** A tokenizer.json (HF Llama / SentencePiece BPE with byte fallback) that encodes as run.c does. */
export function llamaTokenizerJson(vocab: Llama2cVocabulary): Record<string, unknown> {
  const special = (id: number) => ({ id, content: SPECIALS[id], single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [0, 1, 2].map(special),
    // run.c prepends one space to non-empty text; spaces are '▁' inside pieces.
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Prepend', prepend: '▁' },
        { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
      ],
    },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<s>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    // run.c's decode: '▁' is a space, <0xNN> a raw byte, and the space after BOS is dropped.
    decoder: {
      type: 'Sequence',
      decoders: [{ type: 'Replace', pattern: { String: '▁' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab: Object.fromEntries(vocab.pieces.map((p, i) => [p, i])),
      merges: mergesOf(vocab),
    },
  };
}

/** tokenizer_config.json: BOS added, no EOS, as run.c encodes prompts. */
export function llamaTokenizerConfig(maxPositions: number): Record<string, unknown> {
  return {
    tokenizer_class: 'LlamaTokenizerFast',
    bos_token: '<s>',
    eos_token: '</s>',
    unk_token: '<unk>',
    add_bos_token: true,
    add_eos_token: false,
    legacy: true,
    model_max_length: maxPositions,
    clean_up_tokenization_spaces: false,
  };
}
