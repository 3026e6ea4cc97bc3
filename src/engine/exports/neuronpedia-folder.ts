// Writes an analysed SAE in Neuronpedia's import layout:
//
//   <folder>/model.jsonl, sourceset.jsonl, source.jsonl
//   <folder>/features/batch-<n>.jsonl.gz       one Feature per line
//   <folder>/activations/batch-<n>.jsonl.gz    its top and quantile examples
//   <folder>/explanations/batch-<n>.jsonl.gz   the automatic explanation and the user's label
//
// The whole tree is built in a hidden sibling folder and renamed into place at the end, so a
// cancelled or crashed export leaves nothing half-written under the name the user gave; a folder
// replaced with `force` is swapped out only once the new one is complete.
import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type NeuronpediaSource, neuronpediaBatches } from '../../catalog/export-neuronpedia';
import type { Catalog } from '../../catalog/open';

/** Features per batch file: Neuronpedia's own exports use 128–1024; a batch's examples stay a few MB. */
export const NEURONPEDIA_BATCH = 256;

export interface FolderProgress {
  /** Called after each batch with the features written so far; may throw to cancel. */
  onBatch(features: number): void;
}

const jsonl = (records: object[]): string => records.map((r) => JSON.stringify(r)).join('\n') + (records.length > 0 ? '\n' : '');

export function writeNeuronpediaFolder(catalog: Catalog, saeId: number, src: NeuronpediaSource, target: string, progress: FolderProgress): { features: number; bytes: number } {
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.partial`);
  let bytes = 0;
  const put = (rel: string, data: string | Buffer) => {
    writeFileSync(join(temp, rel), data);
    bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  };
  try {
    for (const sub of ['features', 'activations', 'explanations']) mkdirSync(join(temp, sub), { recursive: true });
    put('model.jsonl', jsonl([{ id: src.modelId, displayName: src.modelId, displayNameShort: src.modelId, instruct: false }]));
    put('sourceset.jsonl', jsonl([{ modelId: src.modelId, name: src.sourceSet, description: `Featurescope SAE "${src.saeName}" on ${src.hookName} (${src.dSae} features)` }]));
    put('source.jsonl', jsonl([{ id: src.sourceId, modelId: src.modelId, setName: src.sourceSet, hookName: src.hookName, hasDashboards: true }]));
    let features = 0;
    for (const b of neuronpediaBatches(catalog, saeId, src, NEURONPEDIA_BATCH)) {
      const name = `batch-${b.batch}.jsonl.gz`;
      put(join('features', name), gzipSync(jsonl(b.features), { level: 5 }));
      put(join('activations', name), gzipSync(jsonl(b.activations), { level: 5 }));
      put(join('explanations', name), gzipSync(jsonl(b.explanations), { level: 5 }));
      features += b.features.length;
      progress.onBatch(features);
    }
    swapInto(temp, target);
    return { features, bytes };
  } catch (err) {
    rmSync(temp, { recursive: true, force: true });
    throw err;
  }
}

/** Renames the finished `temp` to `target`; an existing target (checked by the caller) is moved aside first and removed after. */
function swapInto(temp: string, target: string): void {
  const existing = statSync(target, { throwIfNoEntry: false });
  if (!existing) {
    renameSync(temp, target);
    return;
  }
  const aside = `${temp}.replaced`;
  renameSync(target, aside);
  try {
    renameSync(temp, target);
  } catch (err) {
    renameSync(aside, target);
    throw err;
  }
  rmSync(aside, { recursive: true, force: true });
}
