/**
 * ANSI escape sequences in log lines. Build tools colour their output (pip's warnings yellow,
 * errors red); shown raw, the ESC reads as "□[33m". A line is reduced to its plain text once,
 * when it arrives (search, copy and download see only that), and its colours are parsed again
 * only while it is on screen, into runs the list renders as classed spans: never inline styles
 * from server data, never HTML.
 *
 * Kept: SGR 1 (bold), 30–37 and 90–97 (foreground), 40–47 and 100–107 (background), 38;5;n
 * and 48;5;n for n < 16, and the resets 0, 22, 39, 49; other 256-colour and true colours show
 * in the default colour. Every other sequence is dropped: other SGR codes, cursor and erase
 * controls, OSC titles and hyperlinks, DCS/APC strings.
 */

/** Whether a line holds an escape sequence at all: the cheap test every arriving line takes. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC and CSI are what this looks for.
const ESCAPE = /[\u001b\u009b]/;

/**
 * One escape sequence: CSI (ESC [ or U+009B) with its parameters and final byte (a line cut
 * before the final byte loses the rest of the sequence too); OSC up to BEL or ST, or the end
 * of the line; DCS, SOS, PM and APC strings up to ST; a two-byte ESC sequence; a lone ESC.
 * Group 1 is a CSI's parameters, group 2 its final byte ("m" for SGR).
 */
const SEQUENCE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escape sequences are control characters.
  /(?:\u001b\[|\u009b)([0-?]*)[ -/]*([@-~]?)|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[PX^_][^\u001b]*(?:\u001b\\)?|\u001b[ -/]*[0-~]|\u001b/g;

export function hasEscapes(text: string): boolean {
  return ESCAPE.test(text);
}

/** `text` without its escape sequences: what the list shows, search finds and copies carry. */
export function stripAnsi(text: string): string {
  return hasEscapes(text) ? text.replace(SEQUENCE, "") : text;
}

/** A stretch of the plain text, `[start, end)`, and the classes its colours map to. */
export interface StyleRun {
  start: number;
  end: number;
  /** Space-separated `sp-ansi-*` classes; "" for default colours. */
  classes: string;
}

interface Pen {
  /** Colour index 0–15 (8–15 bright), or -1 for the default. */
  fg: number;
  bg: number;
  bold: boolean;
}

const penClasses = (pen: Pen): string => {
  const out: string[] = [];
  if (pen.bold) out.push("sp-ansi-bold");
  if (pen.fg >= 0) out.push(`sp-ansi-fg${pen.fg}`);
  if (pen.bg >= 0) out.push(`sp-ansi-bg${pen.bg}`);
  return out.join(" ");
};

/** A 256-colour index as a class index: only the 16 basic colours have classes. */
const paletteIndex = (raw: string | undefined): number => {
  const index = Number(raw);
  return Number.isInteger(index) && index >= 0 && index < 16 ? index : -1;
};

/** Applies one SGR parameter list ("1;33", "", "38;5;9") to the pen. */
function applySgr(pen: Pen, params: string): void {
  const codes = params.split(";");
  for (let i = 0; i < codes.length; i++) {
    const param = codes[i] as string;
    if (param.includes(":")) {
      // Colon sub-parameters ("38:5:9", "38:2::255:0:0", "4:3") are one unit.
      const [code, mode, index] = param.split(":");
      if ((code === "38" || code === "48") && mode !== undefined) {
        const colour = mode === "5" ? paletteIndex(index) : -1;
        if (code === "38") pen.fg = colour;
        else pen.bg = colour;
      }
      continue;
    }
    const code = param === "" ? 0 : Number(param);
    if (code === 0) {
      pen.fg = -1;
      pen.bg = -1;
      pen.bold = false;
    } else if (code === 1) pen.bold = true;
    else if (code === 22) pen.bold = false;
    else if (code >= 30 && code <= 37) pen.fg = code - 30;
    else if (code >= 90 && code <= 97) pen.fg = code - 90 + 8;
    else if (code === 39) pen.fg = -1;
    else if (code >= 40 && code <= 47) pen.bg = code - 40;
    else if (code >= 100 && code <= 107) pen.bg = code - 100 + 8;
    else if (code === 49) pen.bg = -1;
    else if (code === 38 || code === 48) {
      // 38;5;n (a palette index) or 38;2;r;g;b (true colour); what has no class is default.
      const mode = codes[i + 1];
      const colour = mode === "5" ? paletteIndex(codes[i + 2]) : -1;
      if (code === 38) pen.fg = colour;
      else pen.bg = colour;
      i += mode === "5" ? 2 : mode === "2" ? 4 : 1;
    }
  }
}

/**
 * The colour runs of a line, with offsets into its plain text (`stripAnsi(raw)`): adjacent
 * stretches with the same classes are one run; a line without colours gives `[]`.
 */
export function styleRuns(raw: string): StyleRun[] {
  if (!hasEscapes(raw)) return [];
  const runs: StyleRun[] = [];
  const pen: Pen = { fg: -1, bg: -1, bold: false };
  let classes = "";
  let plain = 0;
  let from = 0;
  const push = (length: number): void => {
    if (length === 0) return;
    const last = runs[runs.length - 1];
    if (last !== undefined && last.classes === classes) last.end += length;
    else runs.push({ start: plain, end: plain + length, classes });
    plain += length;
  };
  for (const match of raw.matchAll(SEQUENCE)) {
    const at = match.index ?? 0;
    push(at - from);
    from = at + match[0].length;
    if (match[2] === "m") {
      applySgr(pen, match[1] ?? "");
      classes = penClasses(pen);
    }
  }
  push(raw.length - from);
  return runs.some((run) => run.classes !== "") ? runs : [];
}
