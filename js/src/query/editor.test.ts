import { describe, expect, it } from "vitest";
import { checkRequest, errorOffset, lineColumn, pretty } from "./editor";

describe("checkRequest", () => {
  it("accepts a JSON object and gives it back", () => {
    expect(checkRequest('{"dataframe_records": [{"x": 1}]}')).toEqual({
      ok: true,
      request: { dataframe_records: [{ x: 1 }] },
    });
  });

  it("names where broken JSON breaks", () => {
    const checked = checkRequest('{\n  "a": 1,\n  "b": }');
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(checked.problem).toMatch(/^Not valid JSON at line 3, column \d+: /);
  });

  it("refuses what is not a non-empty object, saying what it is", () => {
    const problems = ["[1, 2]", "3", "null", '"x"', "{}", "  "].map((text) => {
      const checked = checkRequest(text);
      return checked.ok ? "ok" : checked.problem;
    });
    expect(problems[0]).toContain("not an array");
    expect(problems[1]).toContain("not a number");
    expect(problems[2]).toContain("not null");
    expect(problems[3]).toContain("not a string");
    expect(problems[4]).toContain("empty object");
    expect(problems[5]).toContain("empty");
  });

  it("counts lines and columns from 1", () => {
    expect(lineColumn("ab\ncd", 4)).toEqual([2, 2]);
    expect(lineColumn("abc", 0)).toEqual([1, 1]);
    expect(pretty({ a: [1] })).toBe('{\n  "a": [\n    1\n  ]\n}');
  });
});

describe("errorOffset", () => {
  it("points at the first character JSON does not allow", () => {
    expect(errorOffset('{"a": [1,]}')).toBe(9);
    expect(errorOffset('{"a" 1}')).toBe(5);
    expect(errorOffset("{'a': 1}")).toBe(1);
    expect(errorOffset('{"a": tru}')).toBe(9);
    expect(errorOffset('{"a": 1} x')).toBe(9);
    expect(errorOffset('{"a": "b')).toBe(6);
    expect(errorOffset('{"a": 1')).toBe(7);
  });
});

it("finds a raw line break inside a string", () => {
  expect(errorOffset('{"a": "b\nc"}')).toBe(8);
});
