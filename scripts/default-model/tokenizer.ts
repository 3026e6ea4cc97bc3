// Trains the default model's byte-level BPE on the corpus's train split, writes tokenizer.json
// and tokenizer_config.json into the model folder, checks that @huggingface/tokenizers loads
// it, round-trips the validation text and produces the same ids as our encoder, then writes
// the tokenized splits (uint16, documents separated by <|endoftext|>) for training.
// Run after corpus.ts: npx tsx scripts/default-model/tokenizer.ts
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { BpeEncoder, trainBpe, type BpeModel } from './bpe';
import { CACHE_DIR, loadCorpus, type CorpusDocument, type Split } from './corpus';
import { endOfTextId, tokenizerConfigJson, tokenizerJson } from './tokenizer-json';

export const MODEL_DIR = resolve(import.meta.dirname, '../../resources/models/featurescope-tiny');
export const VOCAB_SIZE = 2048; // 256 bytes + 1791 merges + <|endoftext|>
export const CONTEXT_LENGTH = 128;
export const BPE_MODEL_PATH = join(CACHE_DIR, 'bpe-merges.json');

export function splitPath(split: Split): string {
  return join(CACHE_DIR, `${split}.u16`);
}

export function loadTokens(split: Split): Uint16Array {
  const bytes = readFileSync(splitPath(split));
  return new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
}

function tokenizeSplit(encoder: BpeEncoder, docs: CorpusDocument[], eot: number): Uint16Array {
  const ids: number[] = [];
  for (const doc of docs) {
    for (const id of encoder.encode(doc.text)) ids.push(id);
    ids.push(eot);
  }
  return Uint16Array.from(ids);
}

/** Loads the written files with @huggingface/tokenizers and checks ids and round-trips. */
function verifyWithHuggingFace(model: BpeModel, encoder: BpeEncoder, samples: string[]): void {
  const hf = new Tokenizer(
    JSON.parse(readFileSync(join(MODEL_DIR, 'tokenizer.json'), 'utf8')) as object,
    JSON.parse(readFileSync(join(MODEL_DIR, 'tokenizer_config.json'), 'utf8')) as object,
  );
  for (const sample of samples) {
    const hfIds = hf.encode(sample, { add_special_tokens: false }).ids;
    const ours = encoder.encode(sample);
    if (hfIds.length !== ours.length || hfIds.some((id, i) => id !== ours[i])) {
      const at = hfIds.findIndex((id, i) => id !== ours[i]);
      throw new Error(`@huggingface/tokenizers and the trainer's encoder disagree at token ${at} of a ${sample.length}-char sample`);
    }
    const decoded = hf.decode(hfIds, { skip_special_tokens: false });
    if (decoded !== sample) throw new Error('round trip through @huggingface/tokenizers changed the text');
  }
  void model;
}

/** Trains the tokenizer on the corpus, writes it into the model folder and tokenizes both splits. */
export function buildTokenizer(): void {
  const corpus = loadCorpus();
  const train = corpus.documents.filter((d) => d.split === 'train');
  const validation = corpus.documents.filter((d) => d.split === 'validation');
  const started = performance.now();
  const model = trainBpe(
    train.map((d) => d.text),
    VOCAB_SIZE - 257,
    (n) => {
      if (n % 500 === 0) console.log(`  ${n} merges, ${((performance.now() - started) / 1000).toFixed(1)} s`);
    },
  );
  console.log(`learned ${model.merges.length} merges in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  mkdirSync(MODEL_DIR, { recursive: true });
  writeFileSync(BPE_MODEL_PATH, JSON.stringify(model));
  writeFileSync(join(MODEL_DIR, 'tokenizer.json'), JSON.stringify(tokenizerJson(model), null, 2) + '\n');
  writeFileSync(join(MODEL_DIR, 'tokenizer_config.json'), JSON.stringify(tokenizerConfigJson(CONTEXT_LENGTH), null, 2) + '\n');

  const encoder = new BpeEncoder(model);
  verifyWithHuggingFace(model, encoder, validation.map((d) => d.text.slice(0, 20_000)));
  console.log(`@huggingface/tokenizers: same ids and exact round trip on ${validation.length} validation documents`);

  const eot = endOfTextId(model);
  for (const [split, docs] of [['train', train], ['validation', validation]] as const) {
    const ids = tokenizeSplit(encoder, docs, eot);
    writeFileSync(splitPath(split), ids);
    const bytes = docs.reduce((s, d) => s + Buffer.byteLength(d.text, 'utf8'), 0);
    console.log(`${split}: ${ids.length} tokens, ${(bytes / ids.length).toFixed(2)} bytes/token`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    buildTokenizer();
  } catch (err) {
    console.error(err);
    process.exit(1);
  }
}
