import { render } from "preact";
import { describe, expect, it } from "vitest";
import { hasInvisible, pieces, Visible, visibleText } from "./visible";

describe("invisible characters", () => {
  it("marks a right-to-left override so a name cannot pretend to be another", () => {
    const name = "evil\u202Eexe.txt";
    expect(hasInvisible(name)).toBe(true);
    expect(visibleText(name)).toBe("evil⟦U+202E⟧exe.txt");
  });

  it("marks zero-width characters and isolates", () => {
    expect(visibleText("a\u200Bb\u2066c\u2069\uFEFF")).toBe("a⟦U+200B⟧b⟦U+2066⟧c⟦U+2069⟧⟦U+FEFF⟧");
    expect(pieces("x\u200Cy")).toEqual([
      { text: "x", invisible: false },
      { code: "U+200C", name: "ZERO WIDTH NON-JOINER", invisible: true },
      { text: "y", invisible: false },
    ]);
  });

  it("leaves plain text and emoji joined by a zero-width joiner alone", () => {
    const family = "👨\u200D👩\u200D👧";
    expect(hasInvisible("ads-endpoint 1")).toBe(false);
    expect(hasInvisible(family)).toBe(false);
    expect(visibleText(`a\u200Db`)).toBe("a⟦U+200D⟧b");
  });

  it("renders marks as text with a tooltip naming the character", () => {
    const el = document.createElement("div");
    render(<Visible text={"tag\u202E<b>x</b>"} />, el);
    expect(el.textContent).toBe("tag⟦U+202E⟧<b>x</b>");
    expect(el.querySelector("b")).toBeNull();
    const mark = el.querySelector(".sp-invisible");
    expect(mark?.getAttribute("title")).toBe(
      "U+202E RIGHT-TO-LEFT OVERRIDE: an invisible character",
    );
    render(<Visible text="plain" />, el);
    expect(el.innerHTML).toBe("plain");
  });
});
