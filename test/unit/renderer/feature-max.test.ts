// The playground reads a feature's max activation from one search row, not its feature page.
import { describe, expect, it } from 'vitest';
import type { CommandInput, CommandOutput } from '../../../src/shared/contract';
import { featureMaxAct } from '../../../src/renderer/src/playground/feature-max';

type Query = CommandInput<'catalog.search'>;
const row = (idx: number, maxAct: number) => ({ idx, density: 0.01, maxAct, meanAct: 1, explanation: '', topTokens: [], userLabel: null, score: null });

describe('featureMaxAct', () => {
  it('asks for exactly one row, at the feature in idx order, and returns its max activation', async () => {
    const asked: Query[] = [];
    const search = async (q: Query): Promise<CommandOutput<'catalog.search'>> => {
      asked.push(q);
      return { total: 4096, totalIsLowerBound: false, rows: [row(q.offset!, 7.5)] };
    };
    expect(await featureMaxAct(search, 3, 1234)).toBe(7.5);
    expect(asked).toEqual([{ saeId: 3, sort: 'idx', order: 'asc', offset: 1234, limit: 1 }]);
  });

  it('says so when the row there is another feature or there is none', async () => {
    const other = async () => ({ total: 10, totalIsLowerBound: false, rows: [row(9, 1)] });
    await expect(featureMaxAct(other, 3, 12)).rejects.toThrow("feature 12 is not in this SAE's analysis");
    const none = async () => ({ total: 10, totalIsLowerBound: false, rows: [] });
    await expect(featureMaxAct(none, 3, 12)).rejects.toThrow('feature 12');
  });
});
