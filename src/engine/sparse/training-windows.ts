// A corpus (the same .txt/.jsonl/folder inputs as capture) as fixed windows of contextLength + 1
// tokens for next-token training, documents separated by the end-of-text token. Every 20th window
// is held out for validation (up to `valWindows` of them); the rest are the training set, which
// batches sample from by step (batches.ts).
import type { CorpusSpec } from '../../shared/contract';
import { FeaturescopeError } from '../../shared/errors';
import { readCorpus, scanCorpus } from '../capture/corpus';
import { makeWindows, type WindowSettings } from '../capture/windows';
import type { ModelTokenizer } from '../model/tokenizer';

export interface TrainingWindows {
  /** Tokens per window: contextLength + 1 (inputs and their next tokens). */
  span: number;
  train: Int32Array;
  trainCount: number;
  validation: Int32Array;
  validationCount: number;
  tokens: number;
  corpusSha256: string;
}

const VALIDATION_STRIDE = 20;

export async function trainingWindows(
  corpus: CorpusSpec,
  tokenizer: ModelTokenizer,
  o: { contextLength: number; endOfTextId: number | null; maxTokens: number; valWindows: number; signal: AbortSignal; onProgress?: (tokens: number) => void },
): Promise<TrainingWindows> {
  const span = o.contextLength + 1;
  const scan = await scanCorpus(corpus, { signal: o.signal });
  const settings: WindowSettings = {
    contextLength: span,
    bos: o.endOfTextId === null ? 'none' : 'separator',
    bosTokenId: o.endOfTextId,
    maskSpecialTokens: false,
    specialTokenIds: [],
  };
  const encode = (text: string) => tokenizer.encode(text, { addSpecialTokens: false });
  // Typed windows: 4 bytes a token, where number arrays would take twice that and more.
  const train: Int32Array[] = [];
  const validation: Int32Array[] = [];
  let tokens = 0;
  let index = 0;
  for (const w of makeWindows(readCorpus(corpus, scan), encode, settings)) {
    if (w.tokens.length < span) break; // the corpus's short tail
    const held = index % VALIDATION_STRIDE === VALIDATION_STRIDE - 1 && validation.length < o.valWindows;
    (held ? validation : train).push(Int32Array.from(w.tokens));
    tokens += span;
    index++;
    if (index % 256 === 0) {
      o.onProgress?.(tokens);
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (o.signal.aborted) throw new FeaturescopeError('cancelled', 'The job was cancelled.');
    }
    if (tokens + span > o.maxTokens) break;
  }
  // A corpus of fewer than 20 windows still gets one held-out window.
  if (validation.length === 0 && train.length >= 2) validation.push(train.pop()!);
  if (train.length === 0 || validation.length === 0) {
    throw new FeaturescopeError('invalid_input', `corpus: ${corpus.path} holds ${train.length + validation.length} full windows of ${span} tokens; training needs at least 2 (a longer corpus or a shorter contextLength)`, 'corpus');
  }
  return { span, train: flat(train, span), trainCount: train.length, validation: flat(validation, span), validationCount: validation.length, tokens, corpusSha256: scan.sha256 };
}

function flat(windows: Int32Array[], span: number): Int32Array {
  const out = new Int32Array(windows.length * span);
  windows.forEach((w, i) => out.set(w, i * span));
  return out;
}
