// The tokenizer a weight-sparse model is trained with: a tokenizer.json the user names, or the one
// of a model folder (with its tokenizer_config.json), by default the bundled model's. Its vocabulary
// size sizes the embedding; its end-of-text token separates documents and becomes BOS/EOS.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FeaturescopeError } from '../../shared/errors';
import { CONFIG_LIMITS } from '../model/config';
import { ModelTokenizer, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE } from '../model/tokenizer';
import { jsonSyntaxProblem } from '../formats/jsonProblem';

export interface TrainingTokenizer {
  tokenizer: ModelTokenizer;
  /** The files copied into the trained model's folder. */
  tokenizerPath: string;
  tokenizerConfigPath: string | null;
  vocabSize: number;
  /** BOS/EOS of config.json and the document separator of the corpus; null when the tokenizer has none. */
  endOfTextId: number | null;
}

const MAX_TOKENIZER_BYTES = 256 * 1024 * 1024;

export function trainingTokenizer(given: { tokenizer?: string | undefined; model?: string | undefined }, bundledModelDir: string): TrainingTokenizer {
  let tokenizerPath: string;
  let tokenizerConfigPath: string | null = null;
  let field: string;
  if (given.tokenizer !== undefined) {
    field = 'tokenizer';
    tokenizerPath = resolve(given.tokenizer);
    if (!statSync(tokenizerPath, { throwIfNoEntry: false })?.isFile()) throw new FeaturescopeError('not_found', `tokenizer: ${given.tokenizer} is not a file (give a tokenizer.json)`, 'tokenizer');
  } else {
    field = 'model';
    const dir = resolve(given.model ?? bundledModelDir);
    tokenizerPath = join(dir, TOKENIZER_FILE);
    if (!existsSync(tokenizerPath)) throw new FeaturescopeError('not_found', `model: ${dir} has no ${TOKENIZER_FILE} to train with`, 'model');
    const config = join(dir, TOKENIZER_CONFIG_FILE);
    tokenizerConfigPath = existsSync(config) ? config : null;
  }
  const vocab = readVocabulary(tokenizerPath, field);
  const tokenizer = ModelTokenizer.fromFiles(tokenizerPath, tokenizerConfigPath);
  tokenizer.checkSpecialTokens(vocab.size);
  const endOfTextId = tokenizer.eosTokenId ?? tokenizer.bosTokenId ?? vocab.endOfTextId;
  const vocabSize = vocab.size;
  return { tokenizer, tokenizerPath, tokenizerConfigPath, vocabSize, endOfTextId };
}

/**
 * The vocabulary size (one more than the largest id of tokenizer.json's vocabulary and added
 * tokens) and the id of a special `<|endoftext|>` added token, if there is one.
 */
function readVocabulary(path: string, field: string): { size: number; endOfTextId: number | null } {
  if (statSync(path).size > MAX_TOKENIZER_BYTES) throw new FeaturescopeError('bad_file', `${field}: ${path} is larger than ${MAX_TOKENIZER_BYTES} bytes; not a tokenizer`, field);
  const text = readFileSync(path, 'utf8');
  let json: { model?: { vocab?: unknown }; added_tokens?: unknown };
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    throw new FeaturescopeError('bad_file', `${field}: ${path}: ${jsonSyntaxProblem(text)}`, field);
  }
  let largest = -1;
  let endOfTextId: number | null = null;
  const vocab = json.model?.vocab;
  if (Array.isArray(vocab)) largest = vocab.length - 1; // Unigram: [piece, score] pairs, id = position
  else if (vocab !== null && typeof vocab === 'object') for (const id of Object.values(vocab)) if (Number.isInteger(id)) largest = Math.max(largest, id as number);
  if (Array.isArray(json.added_tokens)) {
    for (const t of json.added_tokens as { id?: unknown; content?: unknown; special?: unknown }[]) {
      if (!Number.isInteger(t.id)) continue;
      largest = Math.max(largest, t.id as number);
      if (t.content === '<|endoftext|>' && t.special === true) endOfTextId = t.id as number;
    }
  }
  if (largest < 1) throw new FeaturescopeError('bad_file', `${field}: ${path} has no vocabulary (model.vocab)`, field);
  if (largest + 1 > CONFIG_LIMITS.vocab) throw new FeaturescopeError('invalid_input', `${field}: ${path} has ${largest + 1} tokens; the limit is ${CONFIG_LIMITS.vocab}`, field);
  return { size: largest + 1, endOfTextId };
}
