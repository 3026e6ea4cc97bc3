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
    const page = async () => expect.unreachable('the feature page is not read when the row is there');
    expect(await featureMaxAct(search, page, 3, 1234)).toBe(7.5);
    expect(asked).toEqual([{ saeId: 3, sort: 'idx', order: 'asc', offset: 1234, limit: 1 }]);
  });

  it('reads the feature itself when the row there is another feature (an analysis with gaps) or there is none', async () => {
    const pages: Array<[number, number]> = [];
    const page = async (saeId: number, idx: number) => {
      pages.push([saeId, idx]);
      if (idx === 13) throw new Error('There is no feature 13 of SAE 3.');
      return 2.25;
    };
    const other = async () => ({ total: 10, totalIsLowerBound: false, rows: [row(9, 1)] });
    expect(await featureMaxAct(other, page, 3, 12)).toBe(2.25);
    const none = async () => ({ total: 10, totalIsLowerBound: false, rows: [] });
    await expect(featureMaxAct(none, page, 3, 13)).rejects.toThrow('There is no feature 13 of SAE 3.');
    expect(pages).toEqual([[3, 12], [3, 13]]);
  });
});
