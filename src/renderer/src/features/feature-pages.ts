// The page bookkeeping of the feature list (useFeatureRows): which pages a view needs, how page
// answers merge their totals, and which pages are forgotten when too many are kept. Pure, so the
// unit tests hold it to its rules without a browser.
import type { SearchRow } from './types';

export const PAGE_SIZE = 100;
/** Pages kept in memory; the ones farthest from the view are forgotten beyond this. */
export const MAX_CACHED_PAGES = 60;

export interface Counted {
  total: number;
  /** More rows may match than `total` (the server counted only so far). */
  totalIsLowerBound: boolean;
}

/**
 * The total after a page's answer. An exact total wins; of lower bounds the larger wins, so
 * scrolling back up (whose pages count less far) never shortens the list.
 */
export function mergeTotal(prev: Counted, next: Counted): Counted {
  if (!next.totalIsLowerBound) return { total: next.total, totalIsLowerBound: false };
  if (!prev.totalIsLowerBound && prev.total >= next.total) return { total: prev.total, totalIsLowerBound: false };
  return { total: Math.max(prev.total, next.total), totalIsLowerBound: true };
}

/** The pages holding rows first..last (a reversed range counts as its first row). */
export function pagesOf([first, last]: readonly [number, number]): number[] {
  const out: number[] = [];
  for (let p = Math.floor(first / PAGE_SIZE); p <= Math.floor(Math.max(first, last) / PAGE_SIZE); p++) out.push(p);
  return out;
}

/** Pages on screen that are neither loaded nor past the end of the result. */
export function missingPages(visible: readonly [number, number], loaded: ReadonlyMap<number, unknown>, total: number): number[] {
  return pagesOf(visible).filter((p) => !loaded.has(p) && p * PAGE_SIZE < total);
}

/** The pages with `page` added; past `cap`, the pages farthest from it are forgotten. */
export function withPage(pages: ReadonlyMap<number, SearchRow[]>, page: number, rows: SearchRow[], cap = MAX_CACHED_PAGES): Map<number, SearchRow[]> {
  const next = new Map(pages);
  next.set(page, rows);
  if (next.size > cap) {
    const far = [...next.keys()].sort((a, b) => Math.abs(b - page) - Math.abs(a - page));
    for (const p of far.slice(0, next.size - cap)) next.delete(p);
  }
  return next;
}

/** The row at a list position, or undefined while its page is not loaded. */
export function rowAt(pages: ReadonlyMap<number, SearchRow[]> | undefined, index: number): SearchRow | undefined {
  return pages?.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
}
