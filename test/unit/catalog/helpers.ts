// Shared builders for catalog tests: real SQLite files in a fresh temp dir per test file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCatalog, type Catalog } from '../../../src/catalog/open';
import type { ExampleRecord, FeatureRecord } from '../../../src/catalog/types';
import { insertModel, insertSae } from '../../../src/catalog/writes';

export function tempDir(prefix = 'fs-catalog-'): { dir: string; file(name: string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, file: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function newCatalog(path: string): Catalog {
  return openCatalog(path);
}

export function addSae(catalog: Catalog, dSae = 64, name = 'test-sae'): number {
  const modelId = insertModel(catalog, { name: 'tiny-gpt2', path: '/models/tiny', architecture: 'gpt2', config: { n_layer: 2 } });
  return insertSae(catalog, {
    name,
    modelId,
    hookName: 'blocks.1.hook_resid_post',
    architecture: 'topk',
    dIn: 16,
    dSae,
    cfg: { k: 4 },
    metrics: { l0: 4, explained_variance: 0.9 },
    provenance: { model: 'tiny-gpt2', hook: 'blocks.1.hook_resid_post', corpus: 'unit', seed: 7, appVersion: '0.1.0', createdAt: 1_700_000_000_000 },
    weightsPath: '/saes/test',
  });
}

/** An example whose activation peaks (value `peak`) on the token at `at`. */
export function example(tokens: string[], at: number, peak: number, rank = 0, kind: ExampleRecord['kind'] = 'top', bucket = 0): ExampleRecord {
  return { kind, bucket, rank, tokens, values: tokens.map((_, i) => (i === at ? peak : 0)), doc: rank, start: 0 };
}

/** A feature firing on `word` in its top examples, with the given stats. */
export function feature(idx: number, word: string, stats: { density?: number; maxAct?: number; context?: string[] } = {}): FeatureRecord {
  const context = stats.context ?? [' the', ' quick', ' fox'];
  return {
    idx,
    density: stats.density ?? 0.01,
    maxAct: stats.maxAct ?? 5,
    meanAct: (stats.maxAct ?? 5) / 3,
    histogram: { scale: 'log10', lo: -3, hi: 1, counts: [1, 2, 3, 4] },
    examples: [0, 1, 2].map((rank) => example([...context, word, ' end'], context.length, (stats.maxAct ?? 5) - rank, rank)),
    logitEffects: { promoted: [[word, 1.5]], suppressed: [[' nope', -1]] },
  };
}
