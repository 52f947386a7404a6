/** metrics.css is injected into the page globally too: every rule must be scoped to the tab. */
import { beforeAll, describe, expect, it } from "vitest";
import { readCss, selectors } from "../../test/css";

let css = "";

beforeAll(async () => {
  css = await readCss("src/metrics/metrics.css");
});

describe("metrics.css", () => {
  it("scopes every selector under .serving-panel .sp-metrics", () => {
    const all = selectors(css);
    expect(all.length).toBeGreaterThan(15);
    expect(all.filter((s) => !s.trim().startsWith(".serving-panel .sp-metrics"))).toEqual([]);
  });

  it("takes its colours from the panel's theme variables, never a fixed colour", () => {
    expect(css).not.toMatch(/#[0-9a-f]{3,6}\b|rgb\(/i);
    expect(css).toContain("var(--sp-seg-0)");
  });
});
