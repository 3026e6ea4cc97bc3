// Child process for crash.test.ts: writes analyses back to back until it is killed.
// Each analysis: 4 transactions of 8 features (3 examples each), then commit. Every example
// carries the marker word ` m<analysisId>` so the parent can ask readers whether it is visible.
import { openCatalog } from '../../../src/catalog/open';
import { beginAnalysis, commitAnalysis, insertSae, writeFeatures } from '../../../src/catalog/writes';
import type { FeatureRecord } from '../../../src/catalog/types';

export const FEATURES_PER_ANALYSIS = 32;
export const EXAMPLES_PER_FEATURE = 3;
const BATCH = 8;

function main(path: string): void {
  const cat = openCatalog(path); // recovers whatever the previous (killed) writer left running
  let saeId = cat.db.prepare(`SELECT id FROM saes WHERE name = 'crash'`).pluck().get() as number | undefined;
  saeId ??= insertSae(cat, {
    name: 'crash',
    modelId: null,
    hookName: 'blocks.0.hook_resid_post',
    architecture: 'relu-l1',
    dIn: 8,
    dSae: FEATURES_PER_ANALYSIS,
    cfg: {},
    metrics: {},
    provenance: { model: 'm', hook: 'h', corpus: null, seed: 1, appVersion: '0.0.0-test', createdAt: 0 },
    weightsPath: '/w',
  });
  process.stdout.write('ready\n');
  for (;;) {
    const a = beginAnalysis(cat, { saeId, corpusId: null });
    for (let start = 0; start < FEATURES_PER_ANALYSIS; start += BATCH) {
      const batch: FeatureRecord[] = [];
      for (let idx = start; idx < start + BATCH; idx++) {
        batch.push({
          idx,
          density: 0.01,
          maxAct: 3,
          meanAct: 1,
          histogram: null,
          logitEffects: { promoted: [[' up', 1]], suppressed: [[' down', -1]] },
          examples: Array.from({ length: EXAMPLES_PER_FEATURE }, (_, rank) => ({
            kind: 'top' as const,
            bucket: 0,
            rank,
            tokens: [' common', ` m${a}`, ` f${idx}`, ' end'],
            values: [0, 3 - rank * 0.5, 1, 0],
            doc: rank,
            start: 0,
          })),
        });
      }
      writeFeatures(cat, a, batch);
    }
    commitAnalysis(cat, a);
    process.stdout.write(`committed ${a}\n`);
  }
}

const path = process.argv[2];
if (path !== undefined && process.env.FEATURESCOPE_CRASH_WRITER === '1') main(path);
