/** permissions.css is injected into the page globally: every rule must be scoped to the tab. */
import { beforeAll, describe, expect, it } from "vitest";

// Read the file itself (vitest turns CSS imports into empty modules); vitest runs from js/.
type Fs = { readFileSync(path: string, encoding: "utf8"): string };
let css = "";

beforeAll(async () => {
  const fs = (await import(/* @vite-ignore */ ["node", "fs"].join(":"))) as Fs;
  css = fs.readFileSync("src/permissions/permissions.css", "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
});

function selectors(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/([^{}]+)\{[^{}]*\}/g)) {
    const head = (match[1] ?? "").trim();
    if (!head.startsWith("@")) found.push(...head.split(",").map((s) => s.trim()));
  }
  return found.map((s) => s.replace(/\s+/g, " "));
}

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
});
