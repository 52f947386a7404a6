/** permissions.css is injected into the page globally: every rule must be scoped to the tab. */
import { beforeAll, describe, expect, it } from "vitest";
import { declarations, readCss, selectors } from "../../test/css";

let css = "";

beforeAll(async () => {
  css = await readCss("src/permissions/permissions.css");
});

describe("permissions.css", () => {
  it("scopes every selector under .serving-panel .sp-perms", () => {
    const all = selectors(css);
    expect(all.length).toBeGreaterThan(30);
    expect(all.filter((s) => !s.startsWith(".serving-panel .sp-perms"))).toEqual([]);
  });

  it("has no at-rules that could leak (keyframes, imports)", () => {
    expect(css).not.toMatch(/@(keyframes|import|font-face)/);
  });

  it("takes its colours from the panel's variables", () => {
    expect(css).toContain("var(--sp-border)");
    expect(css).toContain("var(--sp-fg-muted)");
    expect(css).not.toMatch(/color: #[0-9a-f]{3,6};/i);
  });

  it("wraps the API call text at spaces only, scrolling a token wider than the box", () => {
    const pre = declarations(css, ".serving-panel .sp-perms .sp-perms-describe");
    expect(pre).toMatchObject({
      "white-space": "pre-wrap",
      "overflow-wrap": "normal",
      "word-break": "normal",
      overflow: "auto",
    });
  });

  it("has no disabled-select style left: read-only levels are text", () => {
    expect(css).not.toContain(".sp-perms-select:disabled");
    expect(selectors(css)).toContain(".serving-panel .sp-perms .sp-perms-level-text");
  });
});
