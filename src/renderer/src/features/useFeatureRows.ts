// Rows of a feature search, fetched a page at a time by offset as the list scrolls. Only the
// answer to the newest query is ever shown: a response that arrives after the query changed is
// dropped, so a slow early keystroke cannot overwrite a later one.
import { useCallback, useEffect, useRef, useState } from 'react';
import { call, CommandFailed } from '../api/client';
import { missingPages, mergeTotal, PAGE_SIZE, pagesOf, rowAt as rowOfPages, withPage } from './feature-pages';
import type { SearchQuery, SearchRow } from './types';

/** Wait this long after the view stops moving before fetching, so a scrollbar drag across a million rows asks only for where it lands. */
const SCROLL_SETTLE_MS = 40;

export interface FeatureRows {
  /** The query the shown rows answer (null before the first answer). */
  queryKey: string | null;
  /** The text search the shown rows answer, for the list's data-results-for. */
  shownQ: string;
  total: number;
  /** More rows may match than `total` (the server counted only so far): shown as "10,000+"; scrolling near the end counts further. */
  totalIsLowerBound: boolean;
  /** Row at a position, or undefined while its page is loading. */
  rowAt: (index: number) => SearchRow | undefined;
  loading: boolean;
  error: CommandFailed | undefined;
}

interface Shown {
  key: string;
  queryKey: string;
  q: string;
  total: number;
  totalIsLowerBound: boolean;
  pages: Map<number, SearchRow[]>;
}

function asFailure(err: unknown): CommandFailed {
  return err instanceof CommandFailed ? err : new CommandFailed({ code: 'internal', message: String(err) });
}

/**
 * `query` without limit/offset (null: nothing to search); `version` bumps when the catalog changed
 * (re-read in place); `visible` is the [first, last] row index on screen.
 */
export function useFeatureRows(query: Omit<SearchQuery, 'limit' | 'offset'> | null, version: number, visible: readonly [number, number]): FeatureRows {
  const queryKey = query === null ? null : JSON.stringify(query);
  const key = queryKey === null ? null : `${queryKey}#${version}`;
  const [shown, setShown] = useState<Shown | null>(null);
  const [error, setError] = useState<CommandFailed>();
  const [loading, setLoading] = useState(false);
  const latest = useRef<string | null>(null);
  const inflight = useRef(new Set<string>());
  latest.current = key;

  const fetchPage = useCallback((k: string, q: Omit<SearchQuery, 'limit' | 'offset'>, page: number) => {
    const id = `${k}:${page}`;
    if (inflight.current.has(id)) return Promise.resolve(undefined);
    inflight.current.add(id);
    return call('catalog.search', { ...q, limit: PAGE_SIZE, offset: page * PAGE_SIZE }).finally(() => inflight.current.delete(id));
  }, []);

  // A new query (or a re-read after catalog.changed): fetch what will be on screen, then swap the
  // whole result in at once. A new query starts at the top; a re-read keeps the scroll position.
  const shownQueryKey = shown?.queryKey ?? null;
  const visibleRef = useRef(visible);
  visibleRef.current = visible;
  useEffect(() => {
    if (key === null || queryKey === null || query === null) {
      setShown(null);
      return;
    }
    const pages = queryKey === shownQueryKey ? pagesOf(visibleRef.current) : [0];
    setLoading(true);
    Promise.all(pages.map((p) => call('catalog.search', { ...query, limit: PAGE_SIZE, offset: p * PAGE_SIZE }))).then(
      (results) => {
        if (latest.current !== key) return; // stale: a newer query is on its way
        const counted = results.reduce((acc, r) => mergeTotal(acc, r), { total: 0, totalIsLowerBound: true });
        setShown({ key, queryKey, q: query.q ?? '', ...counted, pages: new Map(results.map((r, i) => [pages[i]!, r.rows])) });
        setError(undefined);
        setLoading(false);
      },
      (err: unknown) => {
        if (latest.current !== key) return;
        setError(asFailure(err));
        setLoading(false);
      },
    );
    // shownQueryKey is read, not watched: only a change of key starts a fetch.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  // Scrolling within the shown result: fetch missing pages once the view settles.
  const [first, last] = visible;
  useEffect(() => {
    if (shown === null || shown.key !== key || query === null) return;
    const missing = missingPages([first, last], shown.pages, shown.total);
    if (missing.length === 0) return;
    const k = shown.key;
    const timer = setTimeout(() => {
      for (const page of missing) {
        void fetchPage(k, query, page).then(
          (r) => {
            if (r === undefined || latest.current !== k) return;
            setShown((prev) => {
              if (prev === null || prev.key !== k) return prev;
              return { ...prev, ...mergeTotal(prev, r), pages: withPage(prev.pages, page, r.rows) };
            });
          },
          (err: unknown) => {
            if (latest.current === k) setError(asFailure(err));
          },
        );
      }
    }, SCROLL_SETTLE_MS);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shown, key, first, last, fetchPage]);

  const rowAt = useCallback((index: number) => rowOfPages(shown?.pages, index), [shown]);

  return {
    queryKey: shown?.queryKey ?? null,
    shownQ: shown?.q ?? '',
    total: shown?.total ?? 0,
    totalIsLowerBound: shown?.totalIsLowerBound ?? false,
    rowAt,
    loading,
    error,
  };
}
