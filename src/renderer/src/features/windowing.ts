// Fixed-height list windowing in O(1): which rows are on screen follows from scrollTop alone.
// Browsers cap an element's height (Firefox near 17.9M px), so past MAX_SCROLL_PX the scroll
// range is compressed and rows are placed relative to the viewport. Pure; useWindowedList feeds
// it the element's scrollTop and height.

export const MAX_SCROLL_PX = 15_000_000;

export interface WindowedRow {
  index: number;
  /** Top of the row inside the scroll content, in px. */
  top: number;
}

export interface ListGeometry {
  count: number;
  rowHeight: number;
  /** Height of the visible part of the list, in px. */
  viewport: number;
}

/** Height of the scroll content (the scrollbar's range) and logical px per scroll px (1 unless compressed). */
export function scrollScale({ count, rowHeight, viewport }: ListGeometry): { contentHeight: number; ratio: number } {
  const logicalHeight = count * rowHeight;
  const contentHeight = Math.min(logicalHeight, MAX_SCROLL_PX);
  const ratio = contentHeight > viewport && logicalHeight > contentHeight ? (logicalHeight - viewport) / (contentHeight - viewport) : 1;
  return { contentHeight, ratio };
}

/** The rows to render at `scrollTop` (visible ones plus `overscan` each side) and [first, last] on screen. */
export function windowAt(geometry: ListGeometry, scrollTop: number, overscan: number): { rows: WindowedRow[]; visible: [number, number] } {
  const { count, rowHeight, viewport } = geometry;
  const logicalTop = scrollTop * scrollScale(geometry).ratio;
  const first = Math.max(0, Math.min(count - 1, Math.floor(logicalTop / rowHeight)));
  const last = Math.max(0, Math.min(count - 1, Math.floor((logicalTop + viewport - 1) / rowHeight)));
  const rows: WindowedRow[] = [];
  if (count > 0) {
    for (let i = Math.max(0, first - overscan); i <= Math.min(count - 1, last + overscan); i++) {
      rows.push({ index: i, top: scrollTop + (i * rowHeight - logicalTop) });
    }
  }
  return { rows, visible: [first, last] };
}

/**
 * The scrollTop that shows row `index` with the least movement ('start' puts it at the top), or
 * null when it is already fully on screen.
 */
export function scrollTopFor(geometry: ListGeometry, scrollTop: number, index: number, align: 'auto' | 'start'): number | null {
  const { rowHeight, viewport } = geometry;
  const { ratio } = scrollScale(geometry);
  const top = index * rowHeight;
  const now = scrollTop * ratio;
  let target: number | null = null;
  if (align === 'start' || top < now) target = top;
  else if (top + rowHeight > now + viewport) target = top + rowHeight - viewport;
  return target === null ? null : target / ratio;
}
