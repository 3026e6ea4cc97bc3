// Writes test/fixtures/default-model/heldout.json: a small sample of the corpus's validation
// split (text the default model never trained on) for the model's held-out loss test.
// It also writes unigram-counts.json, the token counts of the train split, so the test can score
// the unigram model of the training data on the same held-out text as its baseline.
// Run after corpus.ts and tokenizer.ts: npx tsx scripts/default-model/fixture.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadCorpus } from './corpus';
import { VOCAB_SIZE, loadTokens } from './tokenizer';

const FIXTURE_DIR = resolve(import.meta.dirname, '../../test/fixtures/default-model');
const SAMPLE_CHARS = 3000;

/** Cuts at the last line break before `limit`, so samples end on whole lines. */
function head(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const cut = text.lastIndexOf('\n', limit);
  return text.slice(0, cut > 0 ? cut + 1 : limit);
}

const corpus = loadCorpus();
const validation = corpus.documents.filter((d) => d.split === 'validation');
const prose = validation.filter((d) => d.source === 'austen').slice(0, 2);
const code = validation.filter((d) => d.source === 'python-stdlib').slice(0, 2);
const samples = [...prose, ...code].map((d) => ({ source: d.source, name: d.name, text: head(d.text, SAMPLE_CHARS) }));
mkdirSync(FIXTURE_DIR, { recursive: true });
writeFileSync(resolve(FIXTURE_DIR, 'heldout.json'), JSON.stringify({ note: 'validation split of scripts/default-model/corpus.ts; never trained on', samples }, null, 2) + '\n');
console.log(samples.map((s) => `${s.source} ${s.name}: ${s.text.length} chars`).join('\n'));

const counts = new Array<number>(VOCAB_SIZE).fill(0);
for (const id of loadTokens('train')) counts[id]!++;
writeFileSync(resolve(FIXTURE_DIR, 'unigram-counts.json'), JSON.stringify({ note: 'token counts of the train split (tokenizer.json ids)', counts }) + '\n');
console.log(`unigram counts over ${counts.reduce((a, b) => a + b, 0)} train tokens`);
