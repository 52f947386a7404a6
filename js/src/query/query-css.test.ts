/** query.css is injected into the page globally: every rule must be scoped to the tab. */
import { beforeAll, describe, expect, it } from "vitest";
import { readCss, selectors } from "../../test/css";

let css = "";

beforeAll(async () => {
  css = await readCss("src/query/query.css");
});

describe("query.css", () => {
  it("scopes every selector under .serving-panel .sp-query", () => {
    const all = selectors(css);
    expect(all.length).toBeGreaterThan(5);
    expect(all.filter((s) => !s.trim().startsWith(".serving-panel .sp-query"))).toEqual([]);
  });

  it("takes its colours from the panel's variables", () => {
    expect(css).not.toMatch(/@(keyframes|import|font-face)/);
    expect(css).not.toMatch(/color: #[0-9a-f]{3,6};/i);
  });
});
