import { render } from "preact";
import { afterEach, describe, expect, it } from "vitest";
import { stripAnsi } from "./ansi";
import { chunks, LineText } from "./line";

const ESC = "\u001b";

afterEach(() => {
  document.body.replaceChildren();
});

function mount(raw: string, query = ""): HTMLElement {
  const plain = stripAnsi(raw);
  const el = document.createElement("span");
  document.body.append(el);
  render(
    <LineText
      text={plain}
      lower={plain.toLowerCase()}
      query={query}
      raw={plain === raw ? undefined : raw}
    />,
    el,
  );
  return el;
}

describe("chunks", () => {
  it("cuts at colour and match boundaries and joins what looks the same", () => {
    const runs = [
      { start: 0, end: 4, classes: "a" },
      { start: 4, end: 10, classes: "" },
    ];
    expect(chunks("warn: disk", runs, [[2, 7]])).toEqual([
      { text: "wa", classes: "a", match: false },
      { text: "rn", classes: "a", match: true },
      { text: ": d", classes: "", match: true },
      { text: "isk", classes: "", match: false },
    ]);
    expect(chunks("abc", [], [])).toEqual([{ text: "abc", classes: "", match: false }]);
  });
});

describe("LineText", () => {
  it("renders a plain line as one text node", () => {
    const el = mount("plain line");
    expect(el.innerHTML).toBe("plain line");
  });

  it("renders colours as classed spans, without the escape codes", () => {
    const el = mount(`${ESC}[33mWARNING${ESC}[0m: ${ESC}[1;31mfailed${ESC}[0m`);
    expect(el.textContent).toBe("WARNING: failed");
    const spans = [...el.querySelectorAll("span")];
    expect(spans.map((s) => [s.className, s.textContent])).toEqual([
      ["sp-ansi-fg3", "WARNING"],
      ["sp-ansi-bold sp-ansi-fg1", "failed"],
    ]);
    expect(el.querySelector("[style]")).toBeNull();
  });

  it("highlights matches across colour boundaries, the colour kept on the mark", () => {
    const el = mount(`${ESC}[33mWARN${ESC}[0m: disk`, "n: d");
    const marks = [...el.querySelectorAll("mark")];
    expect(marks.map((m) => [m.className, m.textContent])).toEqual([
      ["sp-ansi-fg3", "N"],
      ["", ": d"],
    ]);
    expect(el.textContent).toBe("WARN: disk");
  });

  it("marks invisible characters, inside colours and matches too", () => {
    const el = mount(`${ESC}[31mevil\u202Eexe.txt${ESC}[0m`, "evil");
    expect(el.textContent).toBe("evil⟦U+202E⟧exe.txt");
    expect(
      el.querySelector("[data-testid=invisible-char]")?.closest(".sp-ansi-fg1"),
    ).not.toBeNull();
    expect(el.querySelector("mark")?.textContent).toBe("evil");
  });
});
