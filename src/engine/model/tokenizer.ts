// A model folder's tokenizer: tokenizer.json through @huggingface/tokenizers (pure JS), plus the
// bos/eos/add_bos_token settings of tokenizer_config.json that transformers applies on top.
//
// Pre-tokenizer regexes come from an untrusted file and could backtrack for minutes on a crafted
// input, so encoding runs under a vm time box that interrupts it (DESIGN §5).

import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { Tokenizer } from '@huggingface/tokenizers';
import { FeaturescopeError } from '../../shared/errors';
import { jsonSyntaxProblem } from '../formats/jsonProblem';
import { TokenTexts } from './token-text';

export const TOKENIZER_FILE = 'tokenizer.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';
/**
 * tokenizer.json model types the tokenizer library implements. It would read anything else as a
 * "legacy" vocabulary lookup and encode silently wrong, so other types are refused by name.
 */
export const SUPPORTED_TOKENIZER_MODELS = ['BPE', 'Unigram', 'WordPiece'] as const;

export interface EncodeOptions {
  /** Add the special tokens the tokenizer adds by default (BOS for Llama/Gemma). Default true. */
  addSpecialTokens?: boolean;
  /**
   * Give up after this long: a runaway regex must not hang the engine. Default 10 s plus 10 µs per
   * character (about 10× the normal rate of ~1 µs per character).
   */
  timeoutMs?: number;
}

export interface DecodeOptions {
  skipSpecialTokens?: boolean;
}

type Json = Record<string, unknown>;

/** tokenizer_config.json names tokens as plain strings or AddedToken objects {content: ...}. */
function tokenText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as Json).content === 'string') return (value as Json).content as string;
  return null;
}

export class ModelTokenizer {
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  private readonly addBos: boolean;
  private readonly addEos: boolean;
  private readonly sandbox: vm.Context & { job?: () => unknown };
  private readonly runJob = new vm.Script('job()');

  private readonly bosText: string | null;
  private readonly eosText: string | null;
  private readonly texts: TokenTexts;

  constructor(
    private readonly tokenizer: Tokenizer,
    config: Json,
  ) {
    const bos = tokenText(config.bos_token);
    const eos = tokenText(config.eos_token);
    this.bosText = bos;
    this.eosText = eos;
    this.bosTokenId = bos === null ? null : (tokenizer.token_to_id(bos) ?? null);
    this.eosTokenId = eos === null ? null : (tokenizer.token_to_id(eos) ?? null);
    this.addBos = config.add_bos_token === true && this.bosTokenId !== null;
    this.addEos = config.add_eos_token === true && this.eosTokenId !== null;
    this.sandbox = vm.createContext({});
    this.texts = new TokenTexts({
      decode: (ids) => this.decode(ids),
      piece: (id) => tokenizer.id_to_token(id),
      pieceId: (piece) => tokenizer.token_to_id(piece),
      byteLevel: usesByteLevelDecoder(tokenizer.decoder),
    });
  }

  /** Reads tokenizer.json (required) and tokenizer_config.json (optional) from `dir`'s files. */
  static fromFiles(tokenizerPath: string, configPath: string | null): ModelTokenizer {
    const json = readJsonObject(tokenizerPath, TOKENIZER_FILE);
    checkModelType(json);
    const config = configPath === null ? {} : readJsonObject(configPath, TOKENIZER_CONFIG_FILE);
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(json, config);
    } catch (err) {
      throw new FeaturescopeError('bad_file', `${TOKENIZER_FILE}: the tokenizer could not be built (${(err as Error).message})`);
    }
    return new ModelTokenizer(tokenizer, config);
  }

  /**
   * BOS/EOS come from tokenizer_config.json's token strings looked up in tokenizer.json; the ids
   * must also be rows of the model's embedding table (config.json vocab_size).
   */
  checkSpecialTokens(vocabSize: number): void {
    const check = (field: string, text: string | null, id: number | null): void => {
      if (id === null || id < vocabSize) return;
      throw new FeaturescopeError(
        'bad_file',
        `${TOKENIZER_CONFIG_FILE}: ${field} ${JSON.stringify(text)} is token id ${id} in ${TOKENIZER_FILE}, outside the model's vocabulary [0, ${vocabSize}) (config.json vocab_size)`,
        field,
      );
    };
    check('bos_token', this.bosText, this.bosTokenId);
    check('eos_token', this.eosText, this.eosTokenId);
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const [ids] = this.encodeMany([text], opts);
    return ids ?? [];
  }

  /**
   * Encodes many texts under one time box (the box costs ~0.1 ms to set up, more than a short
   * text takes to encode).
   */
  encodeMany(texts: string[], opts: EncodeOptions = {}): number[][] {
    const addSpecial = opts.addSpecialTokens ?? true;
    const chars = texts.reduce((n, t) => n + t.length, 0);
    const timeoutMs = Math.max(1, Math.ceil(opts.timeoutMs ?? 10_000 + chars / 100));
    const all = this.timeBoxed(() => texts.map((text) => this.tokenizer.encode(text, { add_special_tokens: addSpecial }).ids), timeoutMs);
    return all.map((ids) => {
      if (addSpecial && this.addBos && this.bosTokenId !== null && ids[0] !== this.bosTokenId) ids.unshift(this.bosTokenId);
      if (addSpecial && this.addEos && this.eosTokenId !== null && ids[ids.length - 1] !== this.eosTokenId) ids.push(this.eosTokenId);
      return ids;
    });
  }

  decode(ids: number[], opts: DecodeOptions = {}): string {
    if (ids.length === 0) return ''; // tokenizers.js refuses an empty list
    return this.tokenizer.decode(ids, { skip_special_tokens: opts.skipSpecialTokens ?? false });
  }

  /**
   * What one token reads as inside running text, word-initial space kept (" looked", not
   * "looked", on SentencePiece tokenizers); a byte token that is only part of a character as its
   * bytes ("<0xE2>"). For logit tables and next-token lists.
   */
  tokenText(id: number): string {
    return this.texts.text(id);
  }

  /**
   * Each token of a sequence as it reads there (joined: the sequence's text). A run of byte
   * tokens making whole characters carries them on its first token and "" on the rest.
   */
  tokenTexts(ids: ArrayLike<number>): string[] {
    return this.texts.texts(ids);
  }

  /** The vocabulary string of each id (e.g. "Ġthe"), for per-token displays. */
  tokenStrings(ids: number[]): string[] {
    return ids.map((id) => this.tokenizer.id_to_token(id) ?? `<${id}>`);
  }

  private timeBoxed<T>(job: () => T, timeoutMs: number): T {
    this.sandbox.job = job;
    try {
      return this.runJob.runInContext(this.sandbox, { timeout: timeoutMs }) as T;
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
        throw new FeaturescopeError('failed', `${TOKENIZER_FILE}: encoding took longer than ${Math.round(timeoutMs)} ms and was stopped (a pre-tokenizer regex may be backtracking on this text)`);
      }
      throw err;
    } finally {
      this.sandbox.job = undefined;
    }
  }
}

/** Whether a decoder (or one step of a Sequence of decoders) is GPT-2's ByteLevel. */
function usesByteLevelDecoder(decoder: unknown): boolean {
  const config = (decoder as { config?: Json } | null)?.config;
  const isByteLevel = (c: unknown): boolean => {
    const d = c as Json | null;
    if (d === null || typeof d !== 'object') return false;
    return d.type === 'ByteLevel' || (Array.isArray(d.decoders) && d.decoders.some(isByteLevel));
  };
  return isByteLevel(config);
}

function checkModelType(json: Json): void {
  const model = json.model;
  if (typeof model !== 'object' || model === null || Array.isArray(model)) throw new FeaturescopeError('bad_file', `${TOKENIZER_FILE}: field "model" must be an object`, 'model');
  const type = (model as Json).type;
  if (typeof type !== 'string' || !(SUPPORTED_TOKENIZER_MODELS as readonly string[]).includes(type)) {
    const named = type === undefined ? 'is missing' : `is ${JSON.stringify(type)}`;
    throw new FeaturescopeError('unsupported', `${TOKENIZER_FILE}: model.type ${named}; supported tokenizer models: ${SUPPORTED_TOKENIZER_MODELS.join(', ')}`, 'model.type');
  }
}

function readJsonObject(path: string, label: string): Json {
  let value: unknown;
  const text = readFileSync(path, 'utf8');
  try {
    value = JSON.parse(text);
  } catch {
    throw new FeaturescopeError('bad_file', `${label}: ${jsonSyntaxProblem(text)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new FeaturescopeError('bad_file', `${label}: must be a JSON object`);
  return value as Json;
}
