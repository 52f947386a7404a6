/** logs.css is injected into the page globally too: every rule must be scoped to the Logs tab. */
import { beforeAll, describe, expect, it } from "vitest";
import { declarations, readCss, selectors } from "../../test/css";
import { ROW_HEIGHT } from "./layout";

let css = "";

beforeAll(async () => {
  css = await readCss("src/logs/logs.css");
});

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

  it("styles bold and the 16 ANSI colours (ansi.ts), text and background, from the theme", () => {
    const all = new Set(selectors(css));
    expect(all).toContain(".serving-panel .sp-logs .sp-ansi-bold");
    for (let i = 0; i < 16; i++) {
      expect(all).toContain(`.serving-panel .sp-logs .sp-ansi-fg${i}`);
      expect(all).toContain(`.serving-panel .sp-logs .sp-ansi-bg${i}`);
      // Mixed with the theme's text colour, or taken from it: readable on light and dark.
      expect(css).toMatch(
        new RegExp(
          `--sp-ansi-${i}: (color-mix\\(in srgb, #[0-9a-f]{6} \\d+%, var\\(--sp-log-fg\\)\\)|var\\(--sp-log-(fg|muted)\\));`,
        ),
      );
    }
  });

  it("lays the toolbar out in groups that wrap as units, the search taking the room left", () => {
    const rule = (name: string) => declarations(css, `.serving-panel .sp-logs ${name}`);
    expect(rule(".sp-log-toolbar")).toMatchObject({ display: "flex", "flex-wrap": "wrap" });
    // A group wraps inside itself only when it is wider than the panel.
    expect(rule(".sp-log-group")).toMatchObject({
      display: "flex",
      "flex-wrap": "wrap",
      "min-width": "0",
    });
    // Copy and download stay at the end of their row, together.
    expect(rule(".sp-log-export")).toMatchObject({ "margin-left": "auto" });
    // The search counts as 10em when rows are filled, then grows into what is left.
    expect(rule(".sp-log-search")).toMatchObject({ flex: "1 1 10em", "min-width": "10em" });
    // The match count sits inside the search box: it takes the row no width.
    expect(rule(".sp-log-count")).toMatchObject({ position: "absolute" });
    expect(rule(".sp-log-toolbar .sp-log-query input")["padding-right"]).toContain(
      "var(--sp-log-count-chars, 0)",
    );
    // A long entity name is cut rather than pushing the row wider.
    expect(rule(".sp-log-entity")["max-width"]).toMatch(/^\d+em$/);
  });
});
