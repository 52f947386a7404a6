/**
 * The Logs tab: one served entity's build or server log, read page by page from Python
 * (`logs.page`, see serving_panel/panel/logs.py) into a columnar buffer and shown in a
 * virtualized list, so a log of 200,000 lines keeps a few dozen rows in the DOM. Search, the
 * level filter and the toggles work on that buffer; a keystroke recomputes an index array and
 * re-renders only the rows in view.
 *
 * Nothing loads until the tab is first shown; following polls only while the tab is active.
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { useModelValue, useWait } from "../bridge/hooks";
import type { Rpc } from "../bridge/rpc";
import type { ScopedModel } from "../bridge/scoped-model";
import { waitText } from "../bridge/waiting";
import type { LogRequest, PanelState, Snapshot } from "../model";
import { copyText } from "../ui/clipboard";
import { ErrorLine, toErrorView } from "../ui/errors";
import { visibleText } from "../ui/visible";
import { formatLines, logFileName, saveText } from "./export";
import { findMatches, levelView, matchFrom, stepMatch, viewLength } from "./filter";
import {
  fixedLayout,
  LIST_HEIGHT,
  ROW_HEIGHT,
  revealTop,
  visibleRange,
  wrappedLayout,
} from "./layout";
import { LEVEL_COLUMNS, LogList, TIME_COLUMNS } from "./list";
import { LogLoader } from "./loader";
import { logChoices, reconcile, type Selection, withVersion } from "./targets";
import { Toolbar } from "./toolbar";
import { type LogKind, NO_LEVEL } from "./types";
import "./logs.css";

export interface LogsTabProps {
  model: ScopedModel<PanelState>;
  rpc: Rpc;
  snapshot: Snapshot;
  /** Whether the Logs tab is the selected one (the panel stays mounted while hidden). */
  active: boolean;
  /** A log another part of the panel asked to show (each new `at` selects it again). */
  goTo?: LogRequest | null | undefined;
}

/** Character width and list width when the DOM has no layout to measure (tests, hidden). */
const FALLBACK_CHAR_PX = 7.2;
const FALLBACK_WIDTH_PX = 800;

const count = (n: number): string => n.toLocaleString("en-US");

export function LogsTab({ model, rpc, snapshot, active, goTo = null }: LogsTabProps) {
  const endpoint = useModelValue(model, "endpoint_name") || snapshot.name;
  const choices = useMemo(() => logChoices(snapshot), [snapshot]);
  const [wanted, setWanted] = useState<Selection | null>(null);
  const selection = reconcile(wanted, choices);
  const [kind, setKind] = useState<LogKind>(() => (snapshot.config !== null ? "server" : "build"));
  const [minLevel, setMinLevel] = useState(NO_LEVEL);
  const [query, setQuery] = useState("");
  const [current, setCurrent] = useState(-1);
  const [wrap, setWrap] = useState(false);
  const [lineNumbers, setLineNumbers] = useState(true);
  const [follow, setFollow] = useState(false);
  const [notice, setNotice] = useState("");
  const [scrollTop, setScrollTop] = useState(0);
  const [box, setBox] = useState({ height: LIST_HEIGHT, width: FALLBACK_WIDTH_PX, char: 0 });
  const [, setTick] = useState(0);
  const wait = useWait(rpc.waits);
  const [loader] = useState(() => new LogLoader(rpc, () => setTick((tick) => tick + 1)));
  const root = useRef<HTMLDivElement>(null);
  const scroller = useRef<HTMLElement>(null);
  const probe = useRef<HTMLSpanElement>(null);
  const mounted = useRef(true);
  const stick = useRef(false);

  // Another part of the panel asked for a log: select it (it loads once the tab is active).
  // Until that selection is made, nothing loads: the log shown before is not worth a request.
  const appliedGoTo = useRef<number | null>(null);
  const goToPending = goTo !== null && goTo.at !== appliedGoTo.current;
  /** A line asked for that is not in view yet: revealed once the log holds it. */
  const wantedLine = useRef<number | null>(null);
  useLayoutEffect(() => {
    if (goTo === null) return;
    appliedGoTo.current = goTo.at;
    wantedLine.current = goTo.line ?? null;
    setWanted({ entity: goTo.entity, version: goTo.version });
    setKind(goTo.kind);
  }, [goTo?.at]);

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
      loader.dispose();
    };
  }, [loader]);

  // Load when shown, and whenever the log asked for changes.
  const target = selection === null ? null : { ...selection, kind };
  const targetKey = target === null ? "" : `${target.entity}\n${target.kind}\n${target.version}`;
  useEffect(() => {
    if (!active || target === null || goToPending) return;
    const loaded = loader.target;
    if (
      loaded !== null &&
      loaded.entity === target.entity &&
      loaded.kind === target.kind &&
      loaded.version === target.version
    ) {
      return;
    }
    loader.load(target);
    setScrollTop(0);
    if (scroller.current !== null) scroller.current.scrollTop = 0;
    setNotice("");
  }, [active, targetKey, loader]);

  useEffect(() => {
    loader.setFollow(follow && active);
  }, [follow, active, loader]);

  // Measure the list (its height, its width, the monospace character) when shown or resized.
  useLayoutEffect(() => {
    const element = scroller.current;
    if (!active || element === null) return;
    const measure = (): void => {
      const probeWidth = probe.current?.getBoundingClientRect().width ?? 0;
      const next = {
        height: element.clientHeight || LIST_HEIGHT,
        width: element.clientWidth || FALLBACK_WIDTH_PX,
        char: probeWidth > 0 ? probeWidth / 10 : 0,
      };
      setBox((old) =>
        old.height === next.height && old.width === next.width && old.char === next.char
          ? old
          : next,
      );
    };
    measure();
    if (typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [active, selection === null]);

  const buffer = loader.buffer;
  const version = buffer.version;
  const view = useMemo(
    () => levelView(buffer.rank, buffer.length, minLevel),
    [buffer, version, minLevel],
  );
  const rows = viewLength(view, buffer.length);
  const matches = useMemo(
    () => findMatches(buffer.lower, view, buffer.length, query),
    [buffer, version, view, query],
  );
  const digits = String(buffer.lineNo[buffer.length - 1] ?? 1).length;
  const layout = useMemo(() => {
    if (!wrap) return fixedLayout(rows, ROW_HEIGHT);
    const charPx = box.char || FALLBACK_CHAR_PX;
    const fixed = (lineNumbers ? digits + 2 : 0) + TIME_COLUMNS + LEVEL_COLUMNS + 2;
    const columns = Math.max(10, Math.floor(box.width / charPx) - fixed);
    return wrappedLayout(
      rows,
      (position) => (buffer.message[view === null ? position : (view[position] ?? 0)] ?? "").length,
      columns,
      ROW_HEIGHT,
    );
  }, [buffer, version, view, rows, wrap, lineNumbers, digits, box]);
  const currentMatch = current < matches.length ? current : matches.length > 0 ? 0 : -1;
  const currentPosition = currentMatch < 0 ? -1 : (matches[currentMatch] ?? -1);
  const top = Math.min(scrollTop, Math.max(0, layout.total - box.height));
  const { start, end } = visibleRange(layout, top, box.height);

  const scrollTo = (next: number): void => {
    const clamped = Math.max(0, Math.min(next, Math.max(0, layout.total - box.height)));
    if (scroller.current !== null) scroller.current.scrollTop = clamped;
    setScrollTop(clamped);
  };
  const reveal = (position: number): void => {
    if (position < 0) return;
    const next = revealTop(layout, position, top, box.height);
    if (next !== top) scrollTo(next);
  };

  // A line another tab asked for (a diagnosis' quote): revealed once its page has arrived.
  useEffect(() => {
    const line = wantedLine.current;
    if (line === null) return;
    const index = buffer.lineNo.indexOf(line);
    if (index < 0) return;
    wantedLine.current = null;
    reveal(view === null ? index : view.indexOf(index));
  }, [buffer, version, view, layout]);

  // A new query (or level) jumps to the first match at or below the top of the view.
  useEffect(() => {
    if (query === "" || matches.length === 0) {
      setCurrent(-1);
      return;
    }
    const first = matchFrom(matches, layout.indexAt(top));
    setCurrent(first);
    reveal(matches[first] ?? -1);
  }, [query, minLevel]);

  // Following: keep the end in view while the user has not scrolled away from it.
  useLayoutEffect(() => {
    if (follow && stick.current) scrollTo(layout.total);
  }, [version, follow]);

  const onScroll = (): void => {
    const element = scroller.current;
    if (element === null) return;
    setScrollTop(element.scrollTop);
    stick.current = element.scrollTop + box.height >= layout.total - ROW_HEIGHT;
  };

  const step = (delta: 1 | -1): void => {
    const next = stepMatch(currentMatch, matches.length, delta);
    setCurrent(next);
    reveal(matches[next] ?? -1);
  };

  const onFollow = (on: boolean): void => {
    setFollow(on);
    stick.current = on;
    if (on) scrollTo(layout.total);
  };

  const onCopy = (): void => {
    const text = formatLines(buffer, view);
    const lines = rows;
    copyText(text).then(
      (copied) => {
        if (!mounted.current) return;
        setNotice(
          copied
            ? `copied ${count(lines)} line${lines === 1 ? "" : "s"}`
            : "this page offers no clipboard; use download",
        );
      },
      (reason: unknown) => {
        if (mounted.current) {
          setNotice(`copy failed: ${toErrorView(reason).message}`);
        }
      },
    );
  };

  const onDownload = (): void => {
    if (root.current === null || selection === null) return;
    const name = logFileName(endpoint, selection.entity, kind, selection.version);
    saveText(root.current, name, formatLines(buffer, null));
    setNotice(`saved ${name}`);
  };

  if (selection === null) {
    return (
      <div class="sp-logs" ref={root}>
        <p class="sp-log-empty">
          {snapshot.error !== null
            ? "The endpoint could not be read, so there are no served entities to show logs of."
            : "This endpoint has no served entities yet, so there are no logs to show."}
        </p>
      </div>
    );
  }

  const versionTag = selection.version === null ? "current config" : `v${selection.version}`;
  // The entity's name as text with its invisible characters written out (ui/visible.tsx).
  const entityName = visibleText(selection.entity);
  const label = `${kind} log of ${entityName} (${versionTag})`;
  const error = loader.error;
  const loading = loader.phase === "loading";
  let empty = "";
  if (loader.phase === "ready" && buffer.length === 0) {
    empty = `The ${kind} log of ${entityName} in ${versionTag} has no lines yet.`;
  } else if (buffer.length > 0 && rows === 0) {
    empty = `None of the ${count(buffer.length)} lines is at this level or above.`;
  }

  return (
    <div class="sp-logs" ref={root}>
      <Toolbar
        choices={choices}
        selection={selection}
        kind={kind}
        onEntity={(entity) => setWanted(reconcile({ entity, version: selection.version }, choices))}
        onKind={setKind}
        onVersion={(version) => setWanted(withVersion(selection, version, choices))}
        query={query}
        onQuery={setQuery}
        matches={matches.length}
        current={currentMatch}
        onStep={step}
        minLevel={minLevel}
        onLevel={setMinLevel}
        wrap={wrap}
        onWrap={setWrap}
        lineNumbers={lineNumbers}
        onLineNumbers={setLineNumbers}
        follow={follow}
        onFollow={onFollow}
        canExport={buffer.length > 0}
        onCopy={onCopy}
        onDownload={onDownload}
        onReload={() => loader.reload()}
      />
      <div class="sp-log-status" role="status" data-testid="log-status">
        {loading ? (
          <span>
            {waitText(
              wait,
              loader.total > 0
                ? `loading ${count(buffer.length)} / ${count(loader.total)}`
                : "loading…",
            )}
          </span>
        ) : loader.phase === "ready" ? (
          <span>
            {count(buffer.length)} line{buffer.length === 1 ? "" : "s"}
            {rows !== buffer.length ? ` · ${count(rows)} shown` : ""}
            {follow ? " · following" : ""}
          </span>
        ) : null}
        {notice !== "" ? <span class="sp-log-notice">{notice}</span> : null}
      </div>
      {error !== null ? (
        <div class="sp-log-alert" role="alert">
          <ErrorLine
            error={error}
            messageClass="sp-log-alert-message"
            codeClass="sp-log-alert-code"
          />
          <button type="button" onClick={() => loader.reload()}>
            retry
          </button>
        </div>
      ) : null}
      {empty !== "" ? <p class="sp-log-empty">{empty}</p> : null}
      <LogList
        buffer={buffer}
        view={view}
        count={rows}
        layout={layout}
        start={start}
        end={end}
        query={query}
        current={currentPosition}
        wrap={wrap}
        lineNumbers={lineNumbers}
        digits={digits}
        label={label}
        scrollerRef={scroller}
        probeRef={probe}
        onScroll={onScroll}
      />
    </div>
  );
}
