// The windows an evaluation runs on: only full context-length windows of a corpus, so every batch
// has one length and a position means the same everywhere.
import type { CorpusSpec } from '../../shared/contract';
import { FeaturescopeError } from '../../shared/errors';
import type { LoadedModel } from '../model';
import { readCorpus, scanCorpus } from './corpus';
import { makeWindows, type WindowSettings } from './windows';

/** Up to `wanted` full windows of token ids; refuses a corpus without a single one. */
export async function fullWindows(model: LoadedModel, corpus: CorpusSpec, settings: WindowSettings, wanted: number, signal: AbortSignal): Promise<number[][]> {
  const scan = await scanCorpus(corpus, { signal });
  const windows: number[][] = [];
  const encode = (text: string) => model.tokenizer.encode(text, { addSpecialTokens: false });
  for (const w of makeWindows(readCorpus(corpus, scan), encode, settings)) {
    if (w.tokens.length === settings.contextLength) windows.push(w.tokens);
    if (windows.length === wanted) break;
  }
  if (windows.length === 0) throw new FeaturescopeError('invalid_input', `The corpus holds no full ${settings.contextLength}-token window.`, 'corpus');
  return windows;
}
