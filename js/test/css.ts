/**
 * Reading a stylesheet in tests. anywidget injects the bundle's CSS into the page globally, so
 * each stylesheet has a test that every rule is scoped; they share the reading and parsing here.
 */

import { readText } from "./files";

/** The stylesheet at `path` (relative to js/, where vitest runs), without its comments. */
export async function readCss(path: string): Promise<string> {
  // vitest turns CSS imports into empty modules, so the file itself is read.
  return (await readText(path)).replace(/\/\*[\s\S]*?\*\//g, "");
}

/** Style-rule selectors, outside @keyframes blocks; @media blocks are looked into. */
export function selectors(text: string): string[] {
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

/**
 * The declarations of every rule whose selector list names `selector` exactly, merged in
 * source order (later wins), with whitespace collapsed: `{ "flex-wrap": "wrap", ... }`.
 */
export function declarations(text: string, selector: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const rule of text.matchAll(/([^{}]+)\{([^{}]*)\}/g)) {
    const names = (rule[1] ?? "").split(",").map((s) => s.trim().replace(/\s+/g, " "));
    if (!names.includes(selector)) continue;
    for (const declaration of (rule[2] ?? "").split(";")) {
      const colon = declaration.indexOf(":");
      if (colon < 0) continue;
      const property = declaration.slice(0, colon).trim();
      found[property] = declaration
        .slice(colon + 1)
        .trim()
        .replace(/\s+/g, " ");
    }
  }
  return found;
}
