/** logs.css is injected into the page globally too: every rule must be scoped to the Logs tab. */
import { beforeAll, describe, expect, it } from "vitest";
import { ROW_HEIGHT } from "./layout";

// Read the file itself (vitest turns CSS imports into empty modules); vitest runs from js/.
type Fs = { readFileSync(path: string, encoding: "utf8"): string };
let css = "";

beforeAll(async () => {
  const fs = (await import(/* @vite-ignore */ ["node", "fs"].join(":"))) as Fs;
  css = fs.readFileSync("src/logs/logs.css", "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
});

function selectors(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/([^{}]+)\{[^{}]*\}/g)) {
    const head = (match[1] ?? "").trim();
    if (!head.startsWith("@")) found.push(...head.split(",").map((s) => s.trim()));
  }
  return found.map((s) => s.replace(/\s+/g, " "));
}

describe("logs.css", () => {
  it("scopes every selector under .serving-panel .sp-logs", () => {
    const all = selectors(css);
    expect(all.length).toBeGreaterThan(20);
    expect(all.filter((s) => !s.startsWith(".serving-panel .sp-logs"))).toEqual([]);
  });

  it("gives rows the height the virtual list positions them by", () => {
    expect(css).toContain(`--sp-log-row: ${ROW_HEIGHT}px;`);
  });

  it("takes colours from --jp-* variables, with fallbacks", () => {
    for (const name of ["error", "warning", "muted", "border"]) {
      expect(css).toMatch(new RegExp(`--sp-log-${name}: var\\(--jp-[\\w-]+, `));
    }
  });
});
