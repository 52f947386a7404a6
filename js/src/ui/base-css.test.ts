/** anywidget injects the CSS into the page globally: every rule must be scoped to the panel. */
import { beforeAll, describe, expect, it } from "vitest";
import { readCss, selectors } from "../../test/css";

let css = "";

beforeAll(async () => {
  css = await readCss("src/ui/base.css");
});

describe("ui/base.css", () => {
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
