/**
 * Checking the editor's text before it is sent: JSON, and a non-empty object (the body of an
 * invocation). A problem is named with where it is (line and column), so the user can fix it.
 */

export type Checked =
  | { ok: true; request: Record<string, unknown> }
  | { ok: false; problem: string };

/** Line and column (1-based) of a character offset. */
export function lineColumn(text: string, offset: number): [number, number] {
  const before = text.slice(0, offset).split("\n");
  return [before.length, (before[before.length - 1]?.length ?? 0) + 1];
}

export function checkRequest(text: string): Checked {
  if (text.trim() === "")
    return { ok: false, problem: "The request is empty: write a JSON object." };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const said = error instanceof Error ? error.message : String(error);
    const [line, column] = lineColumn(text, errorOffset(text));
    return { ok: false, problem: `Not valid JSON at line ${line}, column ${column}: ${said}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const kind = Array.isArray(value) ? "an array" : value === null ? "null" : `a ${typeof value}`;
    return {
      ok: false,
      problem: `The request must be a JSON object such as {"dataframe_records": [...]}, not ${kind}.`,
    };
  }
  if (Object.keys(value).length === 0) {
    return { ok: false, problem: "The request is an empty object: give the model's input." };
  }
  return { ok: true, request: value as Record<string, unknown> };
}

/** A request as the editor shows it. */
export function pretty(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? "";
}

/**
 * Where JSON.parse gave up, found by a small scanner of the JSON grammar (engines word their
 * errors differently, and not all give a position). Only called on text that failed to parse.
 */
export function errorOffset(text: string): number {
  let at = 0;
  const fail = (): never => {
    throw at;
  };
  const space = (): void => {
    while (/[ \t\n\r]/.test(text[at] ?? "")) at += 1;
  };
  const literal = (word: string): void => {
    for (const char of word) {
      if (text[at] !== char) fail();
      at += 1;
    }
  };
  const value = (): void => {
    space();
    const char = text[at];
    if (char === "{" || char === "[") {
      const close = char === "{" ? "}" : "]";
      at += 1;
      space();
      if (text[at] === close) {
        at += 1;
        return;
      }
      for (;;) {
        if (close === "}") {
          space();
          if (text[at] !== '"') fail();
          value();
          space();
          if (text[at] !== ":") fail();
          at += 1;
        }
        value();
        space();
        if (text[at] === ",") at += 1;
        else if (text[at] === close) {
          at += 1;
          return;
        } else fail();
      }
    } else if (char === '"') {
      const match = /^"(?:[^"\\]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/.exec(text.slice(at));
      if (match === null) fail();
      const found = match?.[0] ?? "";
      // A raw control character (a line break, a tab) is not allowed inside a string.
      const control = [...found].findIndex((c) => c.charCodeAt(0) < 32);
      if (control >= 0) {
        at += control;
        fail();
      }
      at += found.length;
    } else {
      const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(at));
      if (match !== null) at += match[0].length;
      else if (char === "t") literal("true");
      else if (char === "f") literal("false");
      else if (char === "n") literal("null");
      else fail();
    }
  };
  try {
    value();
    space();
    return Math.min(at, text.length);
  } catch (offset) {
    return typeof offset === "number" ? offset : 0;
  }
}
