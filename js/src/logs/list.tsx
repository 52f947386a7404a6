/**
 * The virtualized list: a scroll container whose inner "sizer" is as tall as every row would
 * be, holding only the rows in view (plus OVERSCAN on each side) shifted down to where they
 * belong. Rows are text nodes and elements built from the server's strings (line.tsx); never
 * HTML.
 */
import type { Ref } from "preact";
import type { LogBuffer } from "./buffer";
import { type LineView, lineAt } from "./filter";
import type { Layout } from "./layout";
import { LineText } from "./line";
import { levelClass } from "./types";

/** Characters taken by everything but the message: gutter padding, time and level columns. */
export const TIME_COLUMNS = 13;
export const LEVEL_COLUMNS = 9;

export interface LogListProps {
  buffer: LogBuffer;
  view: LineView;
  count: number;
  layout: Layout;
  start: number;
  end: number;
  query: string;
  /** Position (in the view) of the current search match, or -1. */
  current: number;
  wrap: boolean;
  lineNumbers: boolean;
  /** Digits of the largest line number: the gutter's width. */
  digits: number;
  label: string;
  scrollerRef: Ref<HTMLElement>;
  probeRef: Ref<HTMLSpanElement>;
  onScroll: () => void;
}

function timeOf(ms: number | null): { short: string; full: string } | null {
  if (ms === null) return null;
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return null;
  const full = date.toISOString();
  return { short: full.slice(11, 23), full };
}

export function LogList(props: LogListProps) {
  const { buffer, view, count, layout, start, end, query, current, wrap, lineNumbers } = props;
  const needle = query.toLowerCase();
  const rows = [];
  for (let position = start; position < end; position++) {
    const index = lineAt(view, position);
    const message = buffer.message[index] ?? "";
    const lower = buffer.lower[index] ?? "";
    const continuation = buffer.continuation[index] === true;
    const level = buffer.level[index] ?? null;
    const time = continuation ? null : timeOf(buffer.time[index] ?? null);
    const hit = needle !== "" && lower.includes(needle);
    const classes = ["sp-log-row", levelClass(buffer.rank[index] ?? 0)];
    if (continuation) classes.push("sp-log-cont");
    if (hit) classes.push("sp-log-hit");
    if (position === current) classes.push("sp-log-current");
    rows.push(
      <li
        key={index}
        class={classes.filter(Boolean).join(" ")}
        aria-posinset={position + 1}
        aria-setsize={count}
        aria-current={position === current ? "true" : undefined}
        data-line={buffer.lineNo[index]}
        style={wrap ? { minHeight: `${layout.height(position)}px` } : undefined}
      >
        {lineNumbers ? <span class="sp-log-no">{buffer.lineNo[index]}</span> : null}
        <span class="sp-log-time" title={time?.full}>
          {time?.short ?? ""}
        </span>
        <span class="sp-log-level">{continuation || level === null ? "" : level}</span>
        <span class="sp-log-msg">
          <LineText
            text={message}
            lower={lower}
            query={hit ? needle : ""}
            raw={buffer.styled.get(index)}
          />
        </span>
      </li>,
    );
  }
  const gutter = lineNumbers ? props.digits + 2 : 0;
  const width = wrap
    ? undefined
    : `calc(${gutter + TIME_COLUMNS + LEVEL_COLUMNS + buffer.longest + 2}ch + 8px)`;
  return (
    <section
      class={`sp-log-scroller${wrap ? " sp-log-wrap" : ""}`}
      ref={props.scrollerRef}
      aria-label={props.label}
      // biome-ignore lint/a11y/noNoninteractiveTabindex: the list scrolls; keys must reach it.
      tabIndex={0}
      onScroll={props.onScroll}
      style={{ "--sp-log-gutter": `${gutter}ch` }}
    >
      <span class="sp-log-probe" ref={props.probeRef} aria-hidden="true">
        0000000000
      </span>
      <div class="sp-log-sizer" style={{ height: `${layout.total}px`, minWidth: width }}>
        <ol
          class="sp-log-window"
          aria-label={props.label}
          style={{ transform: `translateY(${layout.top(start)}px)` }}
        >
          {rows}
        </ol>
      </div>
    </section>
  );
}
