import { useEffect } from 'react';
import type { Query } from '../api/hooks';

/**
 * Re-read a failed query every `ms` until it succeeds. On a fresh workspace the host's catalog
 * readers fail until the engine (the writer) has created and migrated the catalog; no event says
 * when that happened, so the views that read it on open ask again.
 */
export function useRetry<T>(query: Query<T>, ms = 1000): void {
  const { error, reload } = query;
  useEffect(() => {
    if (!error) return;
    const timer = setTimeout(reload, ms);
    return () => clearTimeout(timer);
  }, [error, reload, ms]);
}
