import { useCallback, useState } from 'react';

/** useState that survives leaving the view and reloading the tab (sessionStorage, JSON). */
export function useSessionState<T>(key: string, initial: T): [T, (update: (prev: T) => T) => void] {
  const [value, setValue] = useState<T>(() => {
    try {
      const raw = sessionStorage.getItem(key);
      return raw === null ? initial : { ...initial, ...(JSON.parse(raw) as T) };
    } catch {
      return initial;
    }
  });
  const update = useCallback(
    (f: (prev: T) => T) =>
      setValue((prev) => {
        const next = f(prev);
        sessionStorage.setItem(key, JSON.stringify(next));
        return next;
      }),
    [key],
  );
  return [value, update];
}
