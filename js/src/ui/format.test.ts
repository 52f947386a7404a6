import { describe, expect, it } from "vitest";
import { exactTime, percent, relativeTime, version, yesNo } from "./format";

const NOW = 1_700_000_000_000;

describe("relativeTime", () => {
  it.each([
    [0, "just now"],
    [-5_000, "just now"], // a little clock skew into the future
    [9_999, "just now"],
    [42_000, "42 s ago"],
    [5 * 60_000, "5 min ago"],
    [59 * 60_000 + 59_000, "59 min ago"],
    [3 * 3_600_000, "3 h ago"],
    [2 * 86_400_000, "2 d ago"],
  ])("%i ms ago reads %s", (age, text) => {
    expect(relativeTime(NOW - age, NOW)).toBe(text);
  });

  it("gives the date for anything older than a month", () => {
    expect(relativeTime(NOW - 40 * 86_400_000, NOW)).toMatch(/^on \d{4}-\d{2}-\d{2}$/);
  });
});

describe("exactTime", () => {
  it("is local time with its UTC offset", () => {
    const d = new Date(NOW);
    const text = exactTime(NOW);
    expect(text).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC[+-]\d{2}:\d{2}$/);
    expect(text.slice(11, 13)).toBe(String(d.getHours()).padStart(2, "0"));
    expect(text.slice(0, 4)).toBe(String(d.getFullYear()));
  });
});

describe("small formatters", () => {
  it("formats percentages, versions and booleans", () => {
    expect(percent(80)).toBe("80%");
    expect(percent(100 / 3)).toBe("33.3%");
    expect(version(3)).toBe("v3");
    expect(version(null)).toBe("v?");
    expect([yesNo(true), yesNo(false), yesNo(null)]).toEqual(["yes", "no", "—"]);
  });
});
