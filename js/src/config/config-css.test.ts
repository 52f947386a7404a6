/** config.css is injected into the page globally too: every rule must be scoped. */
import { beforeAll, describe, expect, it } from "vitest";
import { readCss, selectors } from "../../test/css";

let css = "";

beforeAll(async () => {
  css = await readCss("src/config/config.css");
});

describe("config.css", () => {
  it("scopes every selector under .serving-panel .sp-config", () => {
    const all = selectors(css);
    expect(all.length).toBeGreaterThan(10);
    expect(all.filter((s) => !/^\.serving-panel \.sp-config([ .:[]|$)/.test(s))).toEqual([]);
  });

  it("defines no keyframes or global at-rules of its own", () => {
    expect(css).not.toMatch(/@(keyframes|import|font-face)/);
  });
});
