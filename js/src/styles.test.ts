/** anywidget injects the CSS into the page globally: every rule must be scoped to the panel. */
import { beforeAll, describe, expect, it } from "vitest";

// Read the source file itself (vitest turns CSS imports into empty modules), from js/. The specifier is
// built at run time because the project's type settings include no Node typings.
type Fs = { readFileSync(path: string, encoding: "utf8"): string };
let css = "";

beforeAll(async () => {
  const fs = (await import(/* @vite-ignore */ ["node", "fs"].join(":"))) as Fs;
  css = fs
    .readFileSync("src/styles.css", "utf8") // vitest runs from js/
    .replace(/\/\*[\s\S]*?\*\//g, "");
});

/** Style-rule selectors, outside @keyframes blocks; @media blocks are looked into. */
function selectors(text: string): string[] {
  const found: string[] = [];
  let depth = 0;
  let keyframesDepth = -1;
  let prelude = "";
  for (const char of text) {
    if (char === "{") {
      const head = prelude.trim();
      if (head.startsWith("@keyframes") && keyframesDepth < 0) keyframesDepth = depth;
      else if (!head.startsWith("@") && keyframesDepth < 0) found.push(...head.split(","));
      depth += 1;
      prelude = "";
    } else if (char === "}") {
      depth -= 1;
      if (depth === keyframesDepth) keyframesDepth = -1;
      prelude = "";
    } else if (char === ";") {
      prelude = "";
    } else {
      prelude += char;
    }
  }
  return found.map((s) => s.trim().replace(/\s+/g, " "));
}

describe("styles.css", () => {
  it("scopes every selector under .serving-panel", () => {
    const all = selectors(css);
    expect(all.length).toBeGreaterThan(50);
    const unscoped = all.filter((s) => !/(^|\s)\.serving-panel($|[\s.:[])/.test(s));
    expect(unscoped).toEqual([]);
  });

  it("has the dark overrides for JupyterLab, VS Code, data-theme hosts and the OS", () => {
    const all = selectors(css);
    expect(all).toContain('body[data-jp-theme-light="false"] .serving-panel');
    expect(all).toContain(".vscode-dark .serving-panel");
    expect(all).toContain('[data-theme="dark"] .serving-panel');
    expect(css).toMatch(/@media \(prefers-color-scheme: dark\)/);
  });

  it("prefixes its keyframe names", () => {
    const names = [...css.matchAll(/@keyframes\s+([\w-]+)/g)].map((m) => m[1]);
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((n) => n?.startsWith("serving-panel-"))).toBe(true);
  });
});
