// Fixed-height list windowing in O(1): which rows are on screen follows from scrollTop alone.
// (@tanstack/react-virtual builds a measurement object per row whenever the count changes:
// 35-45 ms at a million rows, paid again on every search keystroke that changes the total.)
// Browsers cap an element's height (Firefox near 17.9M px), so past MAX_SCROLL_PX the scroll
// range is compressed and rows are placed relative to the viewport.
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';

const MAX_SCROLL_PX = 15_000_000;

export interface WindowedRow {
  index: number;
  /** Top of the row inside the scroll content, in px. */
  top: number;
}

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

  const logicalHeight = count * rowHeight;
  const contentHeight = Math.min(logicalHeight, MAX_SCROLL_PX);
  // Logical px per scroll px: 1 unless the list is taller than the browser allows.
  const ratio = contentHeight > viewport && logicalHeight > contentHeight ? (logicalHeight - viewport) / (contentHeight - viewport) : 1;

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

  const logicalTop = scrollTop * ratio;
  const first = Math.max(0, Math.min(count - 1, Math.floor(logicalTop / rowHeight)));
  const last = Math.max(0, Math.min(count - 1, Math.floor((logicalTop + viewport - 1) / rowHeight)));
  const rows: WindowedRow[] = [];
  if (count > 0) {
    for (let i = Math.max(0, first - overscan); i <= Math.min(count - 1, last + overscan); i++) {
      rows.push({ index: i, top: scrollTop + (i * rowHeight - logicalTop) });
    }
  }

  const scrollToIndex = useCallback(
    (index: number, align: 'auto' | 'start' = 'auto') => {
      const el = scrollRef.current;
      if (!el) return;
      const top = index * rowHeight;
      const now = el.scrollTop * ratio;
      let target: number | null = null;
      if (align === 'start' || top < now) target = top;
      else if (top + rowHeight > now + el.clientHeight) target = top + rowHeight - el.clientHeight;
      if (target === null) return;
      el.scrollTop = target / ratio;
      setScrollTop(el.scrollTop);
    },
    [rowHeight, ratio],
  );

  return { scrollRef, contentHeight, rows, visible: [first, last], scrollToIndex, pageRows: Math.max(1, Math.floor(viewport / rowHeight) - 1) };
}
