/**
 * The Events tab's data: `events.list` replies read without trusting their shape, merged into
 * what the view holds, ordered newest first and filtered by kind. Pure, so vitest checks it
 * without a DOM. The wire shapes are serving_panel/panel/events.py's.
 */
import { fields, isObject, list, num, str } from "../bridge/wire";

export const KINDS = ["state", "entity", "config", "permissions", "build"] as const;
export type EventKind = (typeof KINDS)[number];

/** Events the view keeps (Python keeps as many; the oldest go first). */
export const MAX_EVENTS = 500;

/** What an event concerns: a log (and a line of it), or another tab. */
export type EventLink =
  | {
      tab: "logs";
      entity: string;
      version: number | null;
      kind: "build" | "server";
      line: number | undefined;
    }
  | { tab: "overview" | "permissions" };

export type EventView = {
  seq: number;
  /** Epoch ms: when the panel saw it, or a build-log line's own time. */
  time: number;
  kind: EventKind;
  entity: string | null;
  config_version: number | null;
  /** Plain text, server words included: render as text. */
  summary: string;
  link: EventLink | null;
};

export type EventsPage = { events: EventView[]; last: number; reset: boolean };

function link(raw: unknown): EventLink | null {
  const wire = fields(raw);
  if (wire.tab === "overview" || wire.tab === "permissions") return { tab: wire.tab };
  if (wire.tab !== "logs" || typeof wire.entity !== "string" || wire.entity === "") return null;
  return {
    tab: "logs",
    entity: wire.entity,
    version: num(wire.version),
    kind: wire.kind === "server" ? "server" : "build",
    line: num(wire.line) ?? undefined,
  };
}

function event(raw: unknown): EventView | null {
  if (!isObject(raw)) return null;
  const seq = num(raw.seq);
  const time = num(raw.time);
  const kind = KINDS.find((k) => k === raw.kind);
  if (seq === null || time === null || kind === undefined) return null;
  return {
    seq,
    time,
    kind,
    entity: typeof raw.entity === "string" ? raw.entity : null,
    config_version: num(raw.config_version),
    summary: str(raw.summary),
    link: link(raw.link),
  };
}

/** An `events.list` result; malformed events are dropped. */
export function normalizeEvents(raw: unknown): EventsPage {
  const wire = fields(raw);
  return {
    events: list(wire.events)
      .map(event)
      .filter((e): e is EventView => e !== null),
    last: num(wire.last) ?? 0,
    reset: wire.reset === true,
  };
}

/** Newest first: by time, then by the order Python recorded them. */
export function newestFirst(a: EventView, b: EventView): number {
  return b.time - a.time || b.seq - a.seq;
}

/** What the view holds after a page: the page alone on a reset, else both (no seq twice),
 * newest first, at most MAX_EVENTS (the last recorded kept). */
export function merge(held: EventView[], page: EventsPage): EventView[] {
  const bySeq = new Map<number, EventView>();
  for (const e of page.reset ? [] : held) bySeq.set(e.seq, e);
  for (const e of page.events) bySeq.set(e.seq, e);
  const kept = [...bySeq.values()].sort((a, b) => b.seq - a.seq).slice(0, MAX_EVENTS);
  return kept.sort(newestFirst);
}

export function filtered(events: EventView[], kind: EventKind | "all"): EventView[] {
  return kind === "all" ? events : events.filter((e) => e.kind === kind);
}
