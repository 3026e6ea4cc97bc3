// The feature list's page bookkeeping (useFeatureRows): which pages a view needs, how totals of
// page answers merge, which pages are forgotten, and where a row is found.
import { describe, expect, it } from 'vitest';
import { MAX_CACHED_PAGES, mergeTotal, missingPages, PAGE_SIZE, pagesOf, rowAt, withPage } from '../../../src/renderer/src/features/feature-pages';
import type { SearchRow } from '../../../src/renderer/src/features/types';

const row = (idx: number): SearchRow => ({ idx, density: 0, maxAct: 1, meanAct: 0.5, explanation: '', topTokens: [], userLabel: null, score: null });
const page = (p: number): SearchRow[] => Array.from({ length: PAGE_SIZE }, (_, i) => row(p * PAGE_SIZE + i));

describe('mergeTotal', () => {
  it('takes an exact total over any lower bound', () => {
    expect(mergeTotal({ total: 10_000, totalIsLowerBound: true }, { total: 12_345, totalIsLowerBound: false })).toEqual({ total: 12_345, totalIsLowerBound: false });
  });
  it('keeps an exact total when a page from higher up counted less far', () => {
    expect(mergeTotal({ total: 12_345, totalIsLowerBound: false }, { total: 10_000, totalIsLowerBound: true })).toEqual({ total: 12_345, totalIsLowerBound: false });
  });
  it('of two lower bounds keeps the larger, so scrolling back up never shortens the list', () => {
    expect(mergeTotal({ total: 20_000, totalIsLowerBound: true }, { total: 10_000, totalIsLowerBound: true })).toEqual({ total: 20_000, totalIsLowerBound: true });
    expect(mergeTotal({ total: 10_000, totalIsLowerBound: true }, { total: 20_000, totalIsLowerBound: true })).toEqual({ total: 20_000, totalIsLowerBound: true });
  });
  it('lets a bound pass an exact total that was smaller (the count grew)', () => {
    expect(mergeTotal({ total: 50, totalIsLowerBound: false }, { total: 10_000, totalIsLowerBound: true })).toEqual({ total: 10_000, totalIsLowerBound: true });
  });
});

describe('pagesOf / missingPages', () => {
  it('lists every page a view spans, edges included', () => {
    expect(pagesOf([0, 0])).toEqual([0]);
    expect(pagesOf([99, 100])).toEqual([0, 1]);
    expect(pagesOf([150, 420])).toEqual([1, 2, 3, 4]);
    expect(pagesOf([250, 10])).toEqual([2]); // a reversed range counts as its first row
  });
  it('asks only for pages not loaded and not past the end', () => {
    const loaded = new Map([[1, page(1)]]);
    expect(missingPages([50, 350], loaded, 10_000)).toEqual([0, 2, 3]);
    expect(missingPages([50, 350], loaded, 250)).toEqual([0, 2]);
    expect(missingPages([150, 180], loaded, 10_000)).toEqual([]);
  });
});

describe('withPage', () => {
  it('adds a page without touching the map it was given', () => {
    const before = new Map([[0, page(0)]]);
    const after = withPage(before, 3, page(3));
    expect([...after.keys()]).toEqual([0, 3]);
    expect([...before.keys()]).toEqual([0]);
  });
  it('past the cap forgets the pages farthest from the new one', () => {
    let pages = new Map<number, SearchRow[]>();
    for (const p of [0, 1, 2, 10, 11]) pages = withPage(pages, p, page(p), 4);
    expect([...pages.keys()].sort((a, b) => a - b)).toEqual([1, 2, 10, 11]);
    pages = withPage(pages, 12, page(12), 4);
    expect([...pages.keys()].sort((a, b) => a - b)).toEqual([2, 10, 11, 12]);
  });
  it('holds MAX_CACHED_PAGES by default', () => {
    let pages = new Map<number, SearchRow[]>();
    for (let p = 0; p < MAX_CACHED_PAGES + 5; p++) pages = withPage(pages, p, []);
    expect(pages.size).toBe(MAX_CACHED_PAGES);
    expect(pages.has(MAX_CACHED_PAGES + 4)).toBe(true);
    expect(pages.has(0)).toBe(false);
  });
});

describe('rowAt', () => {
  it('finds a row by list position across pages, undefined while its page loads', () => {
    const pages = new Map([[0, page(0)], [2, page(2)]]);
    expect(rowAt(pages, 0)?.idx).toBe(0);
    expect(rowAt(pages, 99)?.idx).toBe(99);
    expect(rowAt(pages, 205)?.idx).toBe(205);
    expect(rowAt(pages, 150)).toBeUndefined();
    expect(rowAt(undefined, 0)).toBeUndefined();
  });
});
