/**
 * The Events tab: the timeline Python makes from what the panel observes
 * (serving_panel/panel/events.py), newest first, filtered by kind, each event linking to what
 * it concerns (a log line through the panel's ShowLog, or another tab). The serving API has no
 * events, so the tab says so: it covers only the time the panel has been open.
 *
 * Events are not in the synced snapshot; the tab asks for those after its cursor
 * (`events.list {since}`) when it becomes active and whenever a new snapshot arrives while it is
 * (each refresh may have made some), one request at a time. Summaries are server text: shown as
 * text, invisible characters marked.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { Rpc } from "../bridge/rpc";
import type { ShowLog, Snapshot } from "../model";
import { ErrorLine, type ErrorView, toErrorView } from "../ui/errors";
import { exactTime } from "../ui/format";
import { Visible } from "../ui/visible";
import {
  type EventKind,
  type EventLink,
  type EventView,
  filtered,
  KINDS,
  merge,
  normalizeEvents,
} from "./list";
import "./events.css";

interface EventsTabProps {
  rpc: Rpc;
  snapshot: Snapshot;
  active: boolean;
  onShowLog?: ShowLog | undefined;
  /** Selects another tab of the panel (an event about the config opens the Overview). */
  onShowTab?: ((tab: string) => void) | undefined;
}

function linkText(link: EventLink): string {
  if (link.tab !== "logs") return link.tab === "overview" ? "Overview" : "Permissions";
  return `${link.kind} log${link.line === undefined ? "" : `, line ${link.line}`}`;
}

export function EventsTab({ rpc, snapshot, active, onShowLog, onShowTab }: EventsTabProps) {
  const [events, setEvents] = useState<EventView[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<ErrorView | null>(null);
  const [kind, setKind] = useState<EventKind | "all">("all");
  const cursor = useRef(0);
  const asking = useRef(false);
  const again = useRef(false);
  const live = useRef(true);

  const ask = (): void => {
    if (asking.current) {
      again.current = true;
      return;
    }
    asking.current = true;
    rpc
      .request<unknown>("events.list", { since: cursor.current })
      .then(
        (raw) => {
          if (!live.current) return;
          const page = normalizeEvents(raw);
          cursor.current = page.last;
          setEvents((held) => merge(held, page));
          setLoaded(true);
          setError(null);
        },
        (reason: unknown) => {
          if (live.current) setError(toErrorView(reason));
        },
      )
      .finally(() => {
        asking.current = false;
        if (again.current && live.current) {
          again.current = false;
          ask();
        }
      });
  };

  useEffect(() => {
    live.current = true;
    return () => {
      live.current = false;
    };
  }, []);

  // A new revision is the trigger: each refresh may have made events.
  useEffect(() => {
    if (active) ask();
  }, [active, snapshot.revision]);

  const open = (link: EventLink): void => {
    if (link.tab === "logs") {
      const { entity, version, kind: log, line } = link;
      onShowLog?.({ entity, version, kind: log, line });
    } else onShowTab?.(link.tab);
  };

  const shown = filtered(events, kind);
  return (
    <div class="sp-events" data-testid="events">
      <p class="sp-muted sp-events-note" data-testid="events-note">
        The serving API keeps no events, so the panel makes these from what it sees each time it
        refreshes: they cover only the time this panel has been open (build-log milestones keep the
        log's own times).
      </p>
      <label class="sp-events-filter">
        Kind{" "}
        <select
          data-testid="events-kind"
          value={kind}
          onChange={(e) =>
            setKind((e.currentTarget as HTMLSelectElement).value as EventKind | "all")
          }
        >
          <option value="all">all ({events.length})</option>
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {k} ({filtered(events, k).length})
            </option>
          ))}
        </select>
      </label>
      {error !== null && (
        <p role="alert" class="sp-error" data-testid="events-error">
          <ErrorLine error={error} style="aside" />
        </p>
      )}
      {shown.length === 0 ? (
        <p class="sp-empty" data-testid="events-empty">
          {loaded ? "No events yet." : "Loading events…"}
        </p>
      ) : (
        <ol class="sp-events-list" data-testid="events-list">
          {shown.map((e) => (
            <li key={e.seq} data-testid="event" data-kind={e.kind}>
              <time title={exactTime(e.time)} dateTime={new Date(e.time).toISOString()}>
                {exactTime(e.time).slice(11, 19)}
              </time>
              <span class="sp-events-kind">{e.kind}</span>
              <span class="sp-events-what">
                {(e.entity !== null || e.config_version !== null) && (
                  <span class="sp-muted">
                    {e.entity !== null && <Visible text={e.entity} />}
                    {e.entity !== null && e.config_version !== null && " · "}
                    {e.config_version !== null && `v${e.config_version}`}{" "}
                  </span>
                )}
                <span data-testid="event-summary">
                  <Visible text={e.summary} />
                </span>
              </span>
              {e.link !== null && (
                <button
                  type="button"
                  class="sp-link"
                  data-testid="event-link"
                  onClick={() => e.link !== null && open(e.link)}
                >
                  {linkText(e.link)}
                </button>
              )}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
