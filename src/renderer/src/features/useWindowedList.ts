// Fixed-height list windowing in O(1) (windowing.ts): the hook tracks the element's scrollTop and
// height and renders only the rows on screen. (@tanstack/react-virtual builds a measurement object
// per row whenever the count changes: 35-45 ms at a million rows, paid again on every search
// keystroke that changes the total.)
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { scrollScale, scrollTopFor, type WindowedRow, windowAt } from './windowing';

export interface WindowedList {
  scrollRef: React.RefObject<HTMLDivElement | null>;
  /** Height of the scroll content (the scrollbar's range). */
  contentHeight: number;
  rows: WindowedRow[];
  /** [first, last] row index on screen (without overscan). */
  visible: [number, number];
  /** Scroll the least needed to show a row ('start' puts it at the top). */
  scrollToIndex: (index: number, align?: 'auto' | 'start') => void;
  /** Rows that fit in the viewport (for PageUp/PageDown). */
  pageRows: number;
}

export function useWindowedList(count: number, rowHeight: number, overscan = 8): WindowedList {
  const scrollRef = useRef<HTMLDivElement | null>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const onScroll = () => setScrollTop(el.scrollTop);
    const observer = new ResizeObserver(() => setViewport(el.clientHeight));
    el.addEventListener('scroll', onScroll, { passive: true });
    observer.observe(el);
    setViewport(el.clientHeight);
    return () => {
      el.removeEventListener('scroll', onScroll);
      observer.disconnect();
    };
  }, []);

  // A shorter list may leave scrollTop past its end; the browser clamps it, keep state in step.
  useEffect(() => {
    const el = scrollRef.current;
    if (el && el.scrollTop !== scrollTop) setScrollTop(el.scrollTop);
  }, [count, scrollTop]);

  const geometry = { count, rowHeight, viewport };
  const { contentHeight } = scrollScale(geometry);
  const { rows, visible } = windowAt(geometry, scrollTop, overscan);

  const scrollToIndex = useCallback(
    (index: number, align: 'auto' | 'start' = 'auto') => {
      const el = scrollRef.current;
      if (!el) return;
      const target = scrollTopFor({ count, rowHeight, viewport: el.clientHeight }, el.scrollTop, index, align);
      if (target === null) return;
      el.scrollTop = target;
      setScrollTop(el.scrollTop);
    },
    [count, rowHeight],
  );

  return { scrollRef, contentHeight, rows, visible, scrollToIndex, pageRows: Math.max(1, Math.floor(viewport / rowHeight) - 1) };
}
