import { describe, expect, it } from "vitest";
import { fixedLayout, revealTop, visibleRange, wrappedLayout } from "./layout";

describe("fixedLayout", () => {
  it("puts every row at a multiple of the row height", () => {
    const layout = fixedLayout(200_000, 18);
    expect(layout.total).toBe(3_600_000);
    expect(layout.top(10)).toBe(180);
    expect(layout.indexAt(179)).toBe(9);
    expect(layout.indexAt(180)).toBe(10);
    expect(layout.indexAt(10_000_000)).toBe(199_999);
  });
});

describe("visibleRange", () => {
  it("renders the viewport's rows plus the overscan", () => {
    const layout = fixedLayout(200_000, 18);
    expect(visibleRange(layout, 0, 420, 12)).toEqual({ start: 0, end: 36 });
    const middle = visibleRange(layout, 100_000 * 18, 420, 12);
    expect(middle).toEqual({ start: 100_000 - 12, end: 100_000 + 24 + 12 });
    expect(visibleRange(layout, 199_990 * 18, 420, 12).end).toBe(200_000);
    expect(visibleRange(fixedLayout(0), 0, 420)).toEqual({ start: 0, end: 0 });
  });
});

describe("wrappedLayout", () => {
  it("gives a line as many rows as its text needs at the width", () => {
    const lengths = [10, 0, 25, 80];
    const layout = wrappedLayout(4, (i) => lengths[i] ?? 0, 20, 18);
    expect([0, 1, 2, 3].map((i) => layout.height(i))).toEqual([18, 18, 36, 72]);
    expect(layout.top(3)).toBe(72);
    expect(layout.total).toBe(144);
    expect(layout.indexAt(0)).toBe(0);
    expect(layout.indexAt(53)).toBe(2);
    expect(layout.indexAt(72)).toBe(3);
    expect(layout.indexAt(10_000)).toBe(3);
  });
});

describe("revealTop", () => {
  const layout = fixedLayout(1000, 18);

  it("leaves the scroll position alone when the row is in view", () => {
    expect(revealTop(layout, 5, 0, 420)).toBe(0);
  });

  it("centres a row that is out of view, within the scroll range", () => {
    expect(revealTop(layout, 500, 0, 420)).toBe(500 * 18 - (420 - 18) / 2);
    expect(revealTop(layout, 999, 0, 420)).toBe(1000 * 18 - 420);
    expect(revealTop(layout, 1, 9000, 420)).toBe(0);
  });
});
