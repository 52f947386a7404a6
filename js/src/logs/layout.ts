/**
 * Where each row of the virtualized list sits. Unwrapped, every row is ROW_HEIGHT pixels (the
 * CSS gives rows exactly that height). Wrapped, a line takes as many rows as its message needs
 * at the list's width in the monospace font, so heights are known without measuring the DOM.
 */

/** Pixels per row; the same as `--sp-log-row` in logs.css. */
export const ROW_HEIGHT = 18;
/** Rows rendered above and below the viewport, so fast scrolling shows no gaps. */
export const OVERSCAN = 12;
/** The list's height in pixels when the DOM cannot tell (hidden, or no layout engine). */
export const LIST_HEIGHT = 420;

export interface Layout {
  readonly count: number;
  /** Height of all rows. */
  readonly total: number;
  top(position: number): number;
  height(position: number): number;
  /** The position of the row covering `y` (clamped to the rows). */
  indexAt(y: number): number;
}

export function fixedLayout(count: number, rowHeight = ROW_HEIGHT): Layout {
  return {
    count,
    total: count * rowHeight,
    top: (position) => position * rowHeight,
    height: () => rowHeight,
    indexAt: (y) => Math.max(0, Math.min(count - 1, Math.floor(y / rowHeight))),
  };
}

/** Rows of `lengthAt(position)` characters wrapped at `columns` characters each. */
export function wrappedLayout(
  count: number,
  lengthAt: (position: number) => number,
  columns: number,
  rowHeight = ROW_HEIGHT,
): Layout {
  const width = Math.max(1, Math.floor(columns));
  const tops = new Float64Array(count + 1);
  for (let position = 0; position < count; position++) {
    const rows = Math.max(1, Math.ceil(lengthAt(position) / width));
    tops[position + 1] = (tops[position] as number) + rows * rowHeight;
  }
  return {
    count,
    total: tops[count] as number,
    top: (position) => tops[position] as number,
    height: (position) => (tops[position + 1] as number) - (tops[position] as number),
    indexAt: (y) => {
      let low = 0;
      let high = count - 1;
      while (low < high) {
        const middle = (low + high + 1) >>> 1;
        if ((tops[middle] as number) <= y) low = middle;
        else high = middle - 1;
      }
      return Math.max(0, low);
    },
  };
}

/** The rows to render: `[start, end)`, the viewport's rows plus `overscan` on each side. */
export function visibleRange(
  layout: Layout,
  scrollTop: number,
  viewport: number,
  overscan = OVERSCAN,
): { start: number; end: number } {
  if (layout.count === 0) return { start: 0, end: 0 };
  const first = layout.indexAt(Math.max(0, scrollTop));
  const last = layout.indexAt(Math.max(0, scrollTop + viewport - 1));
  return {
    start: Math.max(0, first - overscan),
    end: Math.min(layout.count, last + overscan + 1),
  };
}

/** The scrollTop that shows row `position`: unchanged when it is in view, else centred. */
export function revealTop(
  layout: Layout,
  position: number,
  scrollTop: number,
  viewport: number,
): number {
  const top = layout.top(position);
  const bottom = top + layout.height(position);
  if (top >= scrollTop && bottom <= scrollTop + viewport) return scrollTop;
  const centred = top - (viewport - layout.height(position)) / 2;
  return Math.max(0, Math.min(centred, layout.total - viewport));
}
