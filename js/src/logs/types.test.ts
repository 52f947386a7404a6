import { describe, expect, it } from "vitest";
import { normalizeFollow, normalizePage, type WireLine } from "./types";

const LINE: WireLine = [1, 1_700_000_000_000, "INFO", "started", false];

describe("normalizePage", () => {
  it("keeps a well-formed page as it is, its lines untouched", () => {
    const raw = { lines: [LINE], total: 1, offset: 0, source_revision: 3 };
    const page = normalizePage(raw);
    expect(page).toEqual(raw);
    expect(page.lines[0]).toBe(LINE);
  });

  it("repairs a partial page and odd lines instead of throwing", () => {
    expect(normalizePage({ lines: ["plain", [7, "x", 5, "m"]], offset: 10 })).toEqual({
      lines: [
        [11, null, null, "plain", false],
        [7, null, null, "m", false],
      ],
      total: 12,
      offset: 10,
      source_revision: 0,
    });
    expect(normalizePage(undefined)).toEqual({
      lines: [],
      total: 0,
      offset: 0,
      source_revision: 0,
    });
  });
});

describe("normalizeFollow", () => {
  it("reads new lines, and a reset", () => {
    const more = { reset: false, lines: [LINE], total: 6, offset: 5, source_revision: 2 };
    expect(normalizeFollow(more)).toEqual(more);
    expect(normalizeFollow({ reset: true, total: 9, source_revision: 4 })).toEqual({
      reset: true,
      total: 9,
      source_revision: 4,
    });
  });

  it("treats an answer it cannot read as a reset (the view then reloads the log)", () => {
    expect(normalizeFollow(null)).toEqual({ reset: true, total: 0, source_revision: 0 });
  });
});
