// Migration 0011: the experiments table takes kind 'circuit'; the rows logged before keep their
// ids and contents, and the cite-id counter goes on after the highest id ever handed out (a
// deleted experiment's cite id is not handed out again).
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, openCatalog } from '../../../src/catalog/open';
import { LATEST_SCHEMA_VERSION } from '../../../src/catalog/migrations/index';
import { migration0011 } from '../../../src/catalog/migrations/0011_circuit_experiments';
import { getExperiment, listExperiments } from '../../../src/catalog/queries';
import { logExperiment } from '../../../src/catalog/writes';
import { tempDir } from './helpers';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('migration 0011: circuit experiments', () => {
  it('keeps the logged experiments and their ids, accepts kind circuit, and never reuses a cite id', () => {
    const path = tmp.file('before-0011.db');
    const raw = new Database(path);
    migrate(raw, migration0011.version - 1);
    const add = raw.prepare(`INSERT INTO experiments (kind, sae_id, inputs, seed, outputs, created_at, app_version) VALUES (?, NULL, '{"prompt":"a"}', 3, '{"kl":1}', 5, '0.1.0')`);
    for (const kind of ['ablation', 'probe', 'scan', 'audit']) add.run(kind);
    raw.prepare('DELETE FROM experiments WHERE id = 4').run(); // the newest one, deleted before the upgrade
    expect(() => add.run('circuit')).toThrow(/CHECK constraint/);
    raw.close();

    const cat = openCatalog(path);
    try {
      expect(cat.db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
      expect(listExperiments(cat).map((e) => [e.id, e.kind]).sort()).toEqual([[1, 'ablation'], [2, 'probe'], [3, 'scan']]);
      expect(getExperiment(cat, 2)).toMatchObject({ inputs: { prompt: 'a' }, seed: 3, outputs: { kl: 1 }, createdAt: 5, appVersion: '0.1.0' });
      const logged = logExperiment(cat, { kind: 'circuit', saeId: null, inputs: { task: 'quote-type' }, seed: 0, outputs: { circuit: {} }, appVersion: '0.1.0' });
      expect(logged).toEqual({ id: 5, citeId: 'exp-000005' });
      expect(getExperiment(cat, 'exp-000005').kind).toBe('circuit');
    } finally {
      cat.close();
    }
  });
});
