// The feature list's O(1) windowing (useWindowedList): rows on screen from scrollTop, the
// compressed scroll range of very long lists, and the least scroll that shows a row.
import { describe, expect, it } from 'vitest';
import { MAX_SCROLL_PX, scrollScale, scrollTopFor, windowAt } from '../../../src/renderer/src/features/windowing';

const short = { count: 1000, rowHeight: 30, viewport: 300 }; // 30,000 px: no compression
const million = { count: 1_000_000, rowHeight: 30, viewport: 600 }; // 30M px logical

describe('windowAt', () => {
  it('renders the rows on screen plus the overscan, at their offsets', () => {
    const { rows, visible } = windowAt(short, 3000, 2);
    expect(visible).toEqual([100, 109]);
    expect(rows.map((r) => r.index)).toEqual([98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111]);
    expect(rows.find((r) => r.index === 100)?.top).toBe(3000);
  });
  it('counts a row cut by the viewport edge as on screen', () => {
    expect(windowAt(short, 15, 0).visible).toEqual([0, 10]);
  });
  it('clamps to the list and renders nothing for an empty one', () => {
    expect(windowAt({ ...short, count: 5 }, 0, 8).rows.map((r) => r.index)).toEqual([0, 1, 2, 3, 4]);
    expect(windowAt({ ...short, count: 0 }, 0, 8)).toEqual({ rows: [], visible: [0, 0] });
  });
});

describe('a list taller than the browser allows', () => {
  it('caps the scroll range and maps its end to the last rows', () => {
    const { contentHeight, ratio } = scrollScale(million);
    expect(contentHeight).toBe(MAX_SCROLL_PX);
    expect(ratio).toBeGreaterThan(1);
    const end = windowAt(million, MAX_SCROLL_PX - million.viewport, 0);
    expect(end.visible).toEqual([million.count - 20, million.count - 1]);
    // The rendered rows sit inside the scroll content, right where the viewport is.
    const top = end.rows[0]!.top;
    expect(top).toBeGreaterThanOrEqual(MAX_SCROLL_PX - million.viewport - million.rowHeight);
    expect(top).toBeLessThanOrEqual(MAX_SCROLL_PX);
  });
  it('is uncompressed when it fits', () => {
    expect(scrollScale(short)).toEqual({ contentHeight: 30_000, ratio: 1 });
  });
});

describe('scrollTopFor', () => {
  it('does not move for a row fully on screen', () => {
    expect(scrollTopFor(short, 3000, 105, 'auto')).toBeNull();
  });
  it('scrolls up to a row above, and down just enough for a row below', () => {
    expect(scrollTopFor(short, 3000, 50, 'auto')).toBe(1500);
    expect(scrollTopFor(short, 3000, 110, 'auto')).toBe(110 * 30 + 30 - 300);
  });
  it("'start' puts the row at the top", () => {
    expect(scrollTopFor(short, 3000, 105, 'start')).toBe(3150);
  });
  it('lands a far row of a compressed list on screen', () => {
    const target = scrollTopFor(million, 0, 750_000, 'start')!;
    expect(windowAt(million, target, 0).visible[0]).toBe(750_000);
  });
});
