import { describe, expect, it } from "vitest";
import { hasEscapes, stripAnsi, styleRuns } from "./ansi";

const ESC = "\u001b";

/** The plain text of each run, with its classes: what the list renders. */
function painted(raw: string): Array<[string, string]> {
  const plain = stripAnsi(raw);
  return styleRuns(raw).map((run) => [plain.slice(run.start, run.end), run.classes]);
}

describe("stripAnsi", () => {
  it("leaves text without escape sequences as it is (the same string)", () => {
    const text = "plain [33m text, not an escape";
    expect(hasEscapes(text)).toBe(false);
    expect(stripAnsi(text)).toBe(text);
  });

  it("drops SGR, cursor and erase sequences", () => {
    expect(stripAnsi(`${ESC}[33mWARNING${ESC}[0m: done`)).toBe("WARNING: done");
    expect(stripAnsi(`${ESC}[2K${ESC}[1G${ESC}[?25lprogress 50%${ESC}[?25h`)).toBe("progress 50%");
    expect(stripAnsi(`a${ESC}[38;2;255;0;0mb${ESC}[m`)).toBe("ab");
    expect(stripAnsi("\u009b31mred\u009b0m")).toBe("red");
  });

  it("drops OSC strings ended by BEL or ST, and hyperlinks", () => {
    expect(stripAnsi(`${ESC}]0;window title\u0007text`)).toBe("text");
    expect(stripAnsi(`${ESC}]8;;https://example.com${ESC}\\link${ESC}]8;;${ESC}\\ after`)).toBe(
      "link after",
    );
    expect(stripAnsi(`before ${ESC}]0;never ended`)).toBe("before ");
  });

  it("drops DCS strings, two-byte sequences, cut sequences and lone ESCs", () => {
    expect(stripAnsi(`${ESC}Pq#0;2;0;0;0${ESC}\\x`)).toBe("x");
    expect(stripAnsi(`${ESC}(B${ESC}=${ESC}7text${ESC}8`)).toBe("text");
    expect(stripAnsi(`cut here ${ESC}[33`)).toBe("cut here ");
    expect(stripAnsi(`lone ${ESC}`)).toBe("lone ");
  });
});

describe("styleRuns", () => {
  it("gives colours as classes, with offsets into the plain text", () => {
    expect(painted(`${ESC}[33mWARNING${ESC}[0m: pip ${ESC}[1;31mfailed${ESC}[39m here`)).toEqual([
      ["WARNING", "sp-ansi-fg3"],
      [": pip ", ""],
      ["failed", "sp-ansi-bold sp-ansi-fg1"],
      [" here", "sp-ansi-bold"],
    ]);
  });

  it("maps bright colours, backgrounds and 256-colour indices below 16", () => {
    expect(painted(`${ESC}[92mok${ESC}[0m`)).toEqual([["ok", "sp-ansi-fg10"]]);
    expect(painted(`${ESC}[41;97m FAIL ${ESC}[49m x`)).toEqual([
      [" FAIL ", "sp-ansi-fg15 sp-ansi-bg1"],
      [" x", "sp-ansi-fg15"],
    ]);
    expect(painted(`${ESC}[38;5;9mred${ESC}[38;5;200mpink`)).toEqual([
      ["red", "sp-ansi-fg9"],
      ["pink", ""],
    ]);
  });

  it("resets on 0, on an empty SGR and on 22/39", () => {
    expect(painted(`${ESC}[1;32mA${ESC}[mB${ESC}[1mC${ESC}[22mD`)).toEqual([
      ["A", "sp-ansi-bold sp-ansi-fg2"],
      ["B", ""],
      ["C", "sp-ansi-bold"],
      ["D", ""],
    ]);
  });

  it("does not read true-colour arguments as colour codes; colon forms count too", () => {
    // 38;2;31;32;33 would otherwise turn red, green and yellow in turn.
    expect(styleRuns(`${ESC}[38;2;31;32;33mx`)).toEqual([]);
    expect(painted(`${ESC}[38:5:1mred${ESC}[38:2::9:9:9mx${ESC}[4:3my`)).toEqual([
      ["red", "sp-ansi-fg1"],
      ["xy", ""],
    ]);
  });

  it("gives nothing for a line whose escapes carry no colour", () => {
    expect(styleRuns(`${ESC}[2Kprogress`)).toEqual([]);
    expect(styleRuns("no escapes")).toEqual([]);
  });

  it("covers exactly the plain text", () => {
    const raw = `${ESC}]0;t\u0007a${ESC}[31mbc${ESC}[Kd${ESC}[0me`;
    const runs = styleRuns(raw);
    expect(runs[0]?.start).toBe(0);
    expect(runs[runs.length - 1]?.end).toBe(stripAnsi(raw).length);
  });
});
