/** delete.css is injected into the page globally too: every rule must be scoped. */
import { beforeAll, describe, expect, it } from "vitest";

// Read the file itself (vitest turns CSS imports into empty modules); vitest runs from js/.
type Fs = { readFileSync(path: string, encoding: "utf8"): string };
let css = "";

beforeAll(async () => {
  const fs = (await import(/* @vite-ignore */ ["node", "fs"].join(":"))) as Fs;
  css = fs.readFileSync("src/delete/delete.css", "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
});

function selectors(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/([^{}]+)\{[^{}]*\}/g)) {
    const head = (match[1] ?? "").trim();
    if (!head.startsWith("@")) found.push(...head.split(",").map((s) => s.trim()));
  }
  return found.map((s) => s.replace(/\s+/g, " "));
}

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
