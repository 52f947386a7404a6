/** delete.css is injected into the page globally too: every rule must be scoped. */
import { beforeAll, describe, expect, it } from "vitest";
import { readCss, selectors } from "../../test/css";

let css = "";

beforeAll(async () => {
  css = await readCss("src/delete/delete.css");
});

describe("delete.css", () => {
  it("scopes every selector under .serving-panel .sp-delete", () => {
    const all = selectors(css);
    expect(all.length).toBeGreaterThan(20);
    expect(all.filter((s) => !/^\.serving-panel \.sp-delete([ .:[]|$)/.test(s))).toEqual([]);
  });

  it("defines no keyframes or global at-rules of its own", () => {
    expect(css).not.toMatch(/@(keyframes|import|font-face)/);
  });

  it("styles the delete button as a danger action", () => {
    expect(css).toMatch(/\.sp-delete-danger \{[^}]*background: var\(--sp-error\)/);
  });
});
