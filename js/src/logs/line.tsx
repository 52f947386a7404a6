/**
 * One log line's message as Preact elements: its colours (ansi.ts) as classed spans, the
 * search's matches as <mark>, its invisible characters marked (ui/visible.tsx). Only text
 * nodes and elements are built, never HTML; a line with none of these is one text node.
 */
import { Fragment } from "preact";
import { Visible } from "../ui/visible";
import { type StyleRun, styleRuns } from "./ansi";
import { matchRanges } from "./filter";

export interface Chunk {
  text: string;
  /** The `sp-ansi-*` classes of its colour ("" for the default). */
  classes: string;
  match: boolean;
}

/**
 * `text` cut at every colour-run and match boundary; neighbours that look the same are
 * joined. Runs and matches are sorted `[start, end)` ranges into `text`.
 */
export function chunks(
  text: string,
  runs: readonly StyleRun[],
  matches: ReadonlyArray<readonly [number, number]>,
): Chunk[] {
  const cuts = new Set<number>([0, text.length]);
  for (const run of runs) cuts.add(run.start).add(run.end);
  for (const [start, end] of matches) cuts.add(start).add(end);
  const points = [...cuts].filter((p) => p >= 0 && p <= text.length).sort((a, b) => a - b);
  const out: Chunk[] = [];
  let r = 0;
  let m = 0;
  for (let i = 0; i + 1 < points.length; i++) {
    const start = points[i] as number;
    const end = points[i + 1] as number;
    while (r < runs.length && (runs[r] as StyleRun).end <= start) r++;
    while (m < matches.length && (matches[m] as readonly [number, number])[1] <= start) m++;
    const run = runs[r];
    const classes = run !== undefined && run.start <= start ? run.classes : "";
    const range = matches[m];
    const match = range !== undefined && range[0] <= start;
    const last = out[out.length - 1];
    if (last !== undefined && last.classes === classes && last.match === match) {
      last.text += text.slice(start, end);
    } else {
      out.push({ text: text.slice(start, end), classes, match });
    }
  }
  return out;
}

export interface LineTextProps {
  /** The plain message (escape sequences stripped). */
  text: string;
  lower: string;
  /** The search query ("" for none). */
  query: string;
  /** The raw message when it held escape sequences: where its colours come from. */
  raw: string | undefined;
}

export function LineText({ text, lower, query, raw }: LineTextProps) {
  const runs = raw === undefined ? [] : styleRuns(raw);
  const matches = query === "" ? [] : matchRanges(text, lower, query);
  if (runs.length === 0 && matches.length === 0) return <Visible text={text} />;
  return (
    <>
      {chunks(text, runs, matches).map((chunk, index) => {
        const content = <Visible text={chunk.text} />;
        if (chunk.match) {
          return (
            <mark key={index} class={chunk.classes === "" ? undefined : chunk.classes}>
              {content}
            </mark>
          );
        }
        if (chunk.classes !== "") {
          return (
            <span key={index} class={chunk.classes}>
              {content}
            </span>
          );
        }
        return <Fragment key={index}>{content}</Fragment>;
      })}
    </>
  );
}
