/**
 * The explorer's root: the Endpoints view (counts per state, search, filters, the virtualized
 * table, progress of the details), or one endpoint's panel (opened.tsx) with a way back.
 *
 * Which one shows follows the synced `endpoint_name` ("" for the list), so `explorer.open(name)`
 * from Python opens it too. The list's state (filters, sort, selection, focus, scroll) lives
 * here, above both, so going back finds it as it was; the rows live in the loader (loader.ts),
 * which keeps reading details while a panel is open.
 */

import type { ComponentChildren } from "preact";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { useModelValue } from "../bridge/hooks";
import type { Rpc } from "../bridge/rpc";
import type { ScopedModel } from "../bridge/scoped-model";
import { type PanelState, stateTone, UI_STATES } from "../model";
import { RestoreDialog } from "../restore/dialog";
import { ErrorLine, type ErrorView, toErrorView } from "../ui/errors";
import { AccessLoader, type AccessState } from "./access";
import { type AccessFilters, AccessView } from "./access-view";
import {
  countByState,
  type Filters,
  filterRows,
  NO_FILTERS,
  type Sort,
  type SortKey,
  sortRows,
  tagOptions,
} from "./filter";
import { Grants } from "./grants";
import { EndpointList, LIST_HEIGHT, ROW_HEIGHT, type RowClick } from "./list";
import { EndpointsLoader, type LoadState } from "./loader";
import { Opened } from "./opened";

/** The list's view state: what going back to the list finds as it was. */
export type ListUi = {
  filters: Filters;
  sort: Sort;
  selected: ReadonlySet<string>;
  /** The row shift-click ranges from. */
  anchor: string | null;
  focus: string | null;
  scrollTop: number;
};

export const INITIAL_UI: ListUi = {
  filters: NO_FILTERS,
  sort: { key: "name", descending: false },
  selected: new Set(),
  anchor: null,
  focus: null,
  scrollTop: 0,
};

const CLOCK_TICK_MS = 30_000;
let explorerCounter = 0;

export interface ExplorerProps {
  model: ScopedModel<PanelState>;
  rpc: Rpc;
}

export function Explorer({ model, rpc }: ExplorerProps) {
  const opened = useModelValue(model, "endpoint_name");
  const loader = useMemo(() => new EndpointsLoader(rpc), [rpc]);
  const [load, setLoad] = useState<LoadState>(loader.state);
  // A second view of the same explorer starts with the selection the first one made.
  const [ui, setUi] = useState<ListUi>(() => ({
    ...INITIAL_UI,
    selected: new Set(model.get("selection") ?? []),
  }));
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<ErrorView | null>(null);
  const [, setTick] = useState(0);
  const live = useRef(true);
  const [view, setView] = useState<"endpoints" | "access">("endpoints");
  const [granting, setGranting] = useState(false);
  const [restoring, setRestoring] = useState(false);
  const [access, setAccess] = useState<AccessState | null>(null);
  const accessLoader = useMemo(() => new AccessLoader(rpc, setAccess), [rpc]);
  const [accessFilters, setAccessFilters] = useState<AccessFilters>({ who: "", endpoint: "" });
  const loadAccess = (): void => void accessLoader.load(load.rows.map((row) => row.name));
  useEffect(() => () => accessLoader.close(), [accessLoader]);
  useEffect(() => {
    if (view === "access" && access === null && load.phase !== "listing" && load.phase !== "idle")
      loadAccess();
  }, [view, access, load.phase]);

  useLayoutEffect(() => {
    live.current = true;
    const stop = loader.subscribe(() => setLoad(loader.state));
    void loader.load();
    const clock = setInterval(() => setTick((tick) => tick + 1), CLOCK_TICK_MS);
    return () => {
      live.current = false;
      stop();
      loader.close();
      clearInterval(clock);
    };
  }, [loader]);

  // The explorer's auto_refresh: rows with an update in progress and the list follow along,
  // while the list is what is shown (an opened panel follows its own endpoint). Back at the
  // list, a list read that fell due meanwhile happens at once.
  const following = useModelValue(model, "auto_refresh");
  const showingList = opened === "";
  useEffect(() => loader.setFollowing(following && showingList), [loader, following, showingList]);

  // The selection is a synced trait (Python's `explorer.selected`), written only on a change.
  const firstSelection = useRef(true);
  useEffect(() => {
    if (firstSelection.current) {
      firstSelection.current = false;
      return;
    }
    model.update("selection", [...ui.selected]);
  }, [model, ui.selected]);

  const act = (kind: string, payload: object): void => {
    setBusy(true);
    setActionError(null);
    rpc
      .request(kind, payload)
      .catch((reason: unknown) => {
        if (live.current) setActionError(toErrorView(reason));
      })
      .finally(() => {
        if (live.current) setBusy(false);
      });
  };

  if (opened !== "") {
    return (
      <Opened
        name={opened}
        model={model.model}
        waits={rpc.waits}
        busy={busy}
        error={actionError}
        onBack={() => act("explorer.close", {})}
      />
    );
  }
  const head = (
    <div class="sp-x-switch" role="tablist" aria-label="View">
      {(["endpoints", "access"] as const).map((v) => (
        <button
          type="button"
          role="tab"
          key={v}
          class="sp-tab"
          aria-selected={view === v ? "true" : "false"}
          data-testid={`explorer-view-${v}`}
          onClick={() => setView(v)}
        >
          {v === "endpoints" ? "Endpoints" : "Access"}
        </button>
      ))}
    </div>
  );
  if (view === "access") {
    return (
      <section class="sp-root sp-x-root" aria-label="Access to serving endpoints">
        {head}
        <AccessView
          state={access ?? { loading: true, done: 0, total: 0, accesses: [], error: null }}
          filters={accessFilters}
          setFilters={setAccessFilters}
          onReload={loadAccess}
        />
      </section>
    );
  }
  return (
    <EndpointsView
      head={head}
      grants={
        granting && ui.selected.size > 0 ? (
          <Grants
            rpc={rpc}
            names={[...ui.selected]}
            onApplied={() => {
              // The Access view reads the ACLs again when next shown.
              accessLoader.close();
              setAccess(null);
            }}
          />
        ) : null
      }
      onGrant={() => setGranting((on) => !on)}
      load={load}
      ui={ui}
      setUi={setUi}
      busy={busy}
      error={actionError}
      onOpen={(name) => act("explorer.open", { name })}
      onReload={() => void loader.load()}
      restoring={restoring}
      onRestore={setRestoring}
      restoreDialog={
        restoring ? (
          <RestoreDialog
            rpc={rpc}
            idPrefix="spx-restore"
            kind="explorer.restore"
            onClose={() => setRestoring(false)}
            onRestored={() => void loader.load()}
          />
        ) : null
      }
    />
  );
}

interface EndpointsViewProps {
  head: ComponentChildren;
  restoring: boolean;
  onRestore: (open: boolean) => void;
  restoreDialog: ComponentChildren;
  grants: ComponentChildren;
  onGrant: () => void;
  load: LoadState;
  ui: ListUi;
  setUi: (update: (old: ListUi) => ListUi) => void;
  busy: boolean;
  error: ErrorView | null;
  onOpen: (name: string) => void;
  onReload: () => void;
}

function EndpointsView({
  head,
  restoring,
  onRestore,
  restoreDialog,
  grants,
  onGrant,
  load,
  ui,
  setUi,
  busy,
  error,
  onOpen,
  onReload,
}: EndpointsViewProps) {
  const [idPrefix] = useState(() => {
    explorerCounter += 1;
    return `spx${explorerCounter}`;
  });
  const scroller = useRef<HTMLDivElement>(null);
  const [viewport, setViewport] = useState(LIST_HEIGHT);
  const { filters, sort } = ui;
  const shown = useMemo(
    () => sortRows(filterRows(load.rows, filters, load.me), sort),
    [load.rows, load.me, filters, sort],
  );
  const counts = useMemo(() => countByState(load.rows), [load.rows]);
  const tags = useMemo(() => tagOptions(load.rows), [load.rows]);
  const now = Date.now();

  // Back from a panel: the scroll position as it was.
  useLayoutEffect(() => {
    const element = scroller.current;
    if (element === null) return;
    setViewport(element.clientHeight || LIST_HEIGHT);
    element.scrollTop = ui.scrollTop;
    // Only on mount: later scrolls come from the user.
  }, []);

  const setFilters = (change: Partial<Filters>): void =>
    setUi((old) => ({ ...old, filters: { ...old.filters, ...change }, scrollTop: 0 }));
  useLayoutEffect(() => {
    if (scroller.current !== null && ui.scrollTop === 0) scroller.current.scrollTop = 0;
  }, [filters, ui.scrollTop]);

  const onSort = (key: SortKey): void =>
    setUi((old) => ({
      ...old,
      sort: { key, descending: old.sort.key === key ? !old.sort.descending : false },
    }));

  const reveal = (position: number): number => {
    const top = position * ROW_HEIGHT;
    let scrollTop = latest.current.scrollTop;
    if (top < scrollTop) scrollTop = top;
    else if (top + ROW_HEIGHT > scrollTop + viewport) scrollTop = top + ROW_HEIGHT - viewport;
    if (scroller.current !== null) scroller.current.scrollTop = scrollTop;
    return scrollTop;
  };

  const toggle = (name: string): void =>
    setUi((old) => {
      const selected = new Set(old.selected);
      if (!selected.delete(name)) selected.add(name);
      return { ...old, selected, anchor: name, focus: name };
    });

  const onClick = ({ name, shift, toggle: flip }: RowClick): void => {
    if (flip) {
      toggle(name);
      return;
    }
    if (shift) {
      setUi((old) => {
        const from = old.anchor === null ? -1 : shown.findIndex((row) => row.name === old.anchor);
        const to = shown.findIndex((row) => row.name === name);
        const [low, high] = from < 0 ? [to, to] : [Math.min(from, to), Math.max(from, to)];
        const selected = new Set(old.selected);
        for (const row of shown.slice(low, high + 1)) selected.add(row.name);
        return { ...old, selected, focus: name };
      });
      return;
    }
    setUi((old) => ({ ...old, focus: name, anchor: name }));
    onOpen(name);
  };

  // Keys may come faster than renders: each reads the focus the previous one left.
  const latest = useRef(ui);
  latest.current = ui;

  const onKey = (event: KeyboardEvent): void => {
    if (shown.length === 0) return;
    const focus = latest.current.focus;
    const at = focus === null ? -1 : shown.findIndex((row) => row.name === focus);
    const page = Math.max(1, Math.floor(viewport / ROW_HEIGHT) - 1);
    let next: number | null = null;
    switch (event.key) {
      case "ArrowDown":
        next = Math.min(shown.length - 1, at + 1);
        break;
      case "ArrowUp":
        next = Math.max(0, at - 1);
        break;
      case "PageDown":
        next = Math.min(shown.length - 1, Math.max(0, at) + page);
        break;
      case "PageUp":
        next = Math.max(0, at - page);
        break;
      case "Home":
        next = 0;
        break;
      case "End":
        next = shown.length - 1;
        break;
      case "Enter":
        if (at >= 0) {
          event.preventDefault();
          onOpen((shown[at] as { name: string }).name);
        }
        return;
      case " ":
        if (at >= 0) {
          event.preventDefault();
          toggle((shown[at] as { name: string }).name);
        }
        return;
      default:
        return;
    }
    event.preventDefault();
    const name = (shown[next] as { name: string }).name;
    const scrollTop = reveal(next);
    latest.current = { ...latest.current, focus: name, anchor: name, scrollTop };
    setUi((old) => ({ ...old, focus: name, anchor: name, scrollTop }));
  };

  const progress =
    load.phase === "details" ? (
      <span class="sp-x-progress" role="status" data-testid="explorer-progress">
        <progress max={load.total} value={load.detailed} />
        details {load.detailed}/{load.total}
        {load.slowedBy !== null && (
          <span class="sp-muted" data-testid="explorer-slowed">
            {" "}
            · slowed down: {load.slowedBy.message}
          </span>
        )}
      </span>
    ) : load.phase === "listing" ? (
      <span class="sp-x-progress sp-muted" role="status" data-testid="explorer-progress">
        listing…
      </span>
    ) : null;

  return (
    <section
      class="sp-root sp-x-root"
      aria-label="Serving endpoints"
      data-jp-suppress-context-menu=""
    >
      {head}
      <div class="sp-title-row">
        <h3 class="sp-name">Serving endpoints · {load.rows.length}</h3>
        <span class="sp-x-counts" data-testid="explorer-counts">
          {counts.map(({ state, count }) => (
            <button
              type="button"
              key={state}
              class={`sp-x-count sp-tone-${stateTone(state)}`}
              aria-pressed={filters.state === state ? "true" : "false"}
              data-state={state}
              onClick={() => setFilters({ state: filters.state === state ? "" : state })}
            >
              <span class="sp-dot" aria-hidden="true" /> {count} {state}
            </button>
          ))}
        </span>
        <span class="sp-spacer" />
        {progress}
        <button
          type="button"
          class="sp-button"
          aria-haspopup="dialog"
          aria-expanded={restoring ? "true" : "false"}
          data-testid="explorer-restore"
          title="Re-create a deleted endpoint from the backup its delete dialog saved"
          onClick={() => onRestore(true)}
        >
          Restore from backup…
        </button>
        <button
          type="button"
          class={`sp-button${load.phase === "listing" ? " sp-busy" : ""}`}
          aria-label="Refresh the list"
          data-testid="explorer-refresh"
          onClick={onReload}
        >
          <span class="sp-refresh-icon" aria-hidden="true">
            ⟳
          </span>
        </button>
      </div>
      <div class="sp-x-toolbar">
        <input
          type="search"
          class="sp-x-search"
          placeholder="Search names, tags, creators, entities"
          aria-label="Search endpoints"
          data-testid="explorer-search"
          value={filters.query}
          onInput={(event) =>
            setFilters({ query: (event.currentTarget as HTMLInputElement).value })
          }
        />
        <select
          aria-label="State"
          data-testid="explorer-state-filter"
          value={filters.state}
          onChange={(event) =>
            setFilters({ state: (event.currentTarget as HTMLSelectElement).value })
          }
        >
          <option value="">any state</option>
          {UI_STATES.map((state) => (
            <option key={state} value={state}>
              {state}
            </option>
          ))}
        </select>
        <label
          class="sp-x-mine"
          title={load.me === null ? "Who you are is not known (SCIM Me did not answer)" : load.me}
        >
          <input
            type="checkbox"
            data-testid="explorer-mine"
            checked={filters.mine}
            disabled={load.me === null}
            onChange={(event) =>
              setFilters({ mine: (event.currentTarget as HTMLInputElement).checked })
            }
          />
          created by me
        </label>
        <label class="sp-x-mine" title="Endpoints you hold CAN_MANAGE on (known once details load)">
          <input
            type="checkbox"
            data-testid="explorer-manage"
            checked={filters.manage}
            onChange={(event) =>
              setFilters({ manage: (event.currentTarget as HTMLInputElement).checked })
            }
          />
          I can manage
        </label>
        <select
          aria-label="Tag"
          data-testid="explorer-tag-filter"
          value={filters.tag}
          onChange={(event) =>
            setFilters({ tag: (event.currentTarget as HTMLSelectElement).value })
          }
        >
          <option value="">any tag</option>
          {tags.map((tag) => (
            <option key={tag} value={tag}>
              {tag}
            </option>
          ))}
        </select>
        <span class="sp-muted" data-testid="explorer-shown">
          {shown.length === load.rows.length
            ? `${shown.length} shown`
            : `${shown.length} of ${load.rows.length} shown`}
        </span>
      </div>
      {load.error !== null && (
        <div class="sp-alert sp-error" role="alert" data-testid="explorer-error">
          <ErrorLine error={load.error} />
        </div>
      )}
      {error !== null && (
        <div class="sp-alert sp-error" role="alert" data-testid="explorer-open-error">
          <ErrorLine error={error} />
        </div>
      )}
      <EndpointList
        rows={shown}
        sort={sort}
        selected={ui.selected}
        focus={ui.focus}
        scrollTop={ui.scrollTop}
        viewport={viewport}
        now={now}
        idPrefix={idPrefix}
        scrollerRef={scroller}
        onSort={onSort}
        onScroll={(scrollTop) => setUi((old) => ({ ...old, scrollTop }))}
        onClick={onClick}
        onToggle={toggle}
        onKey={onKey}
      />
      {shown.length === 0 && load.phase !== "listing" && (
        <p class="sp-empty" data-testid="explorer-empty">
          {load.rows.length === 0 ? "No endpoints." : "No endpoint matches."}
        </p>
      )}
      {ui.selected.size > 0 && (
        <div class="sp-x-selection" data-testid="explorer-selection">
          {ui.selected.size} selected
          <button
            type="button"
            class="sp-button"
            onClick={() => setUi((old) => ({ ...old, selected: new Set() }))}
          >
            Clear
          </button>
          <button type="button" class="sp-button" data-testid="explorer-grant" onClick={onGrant}>
            Grant / remove…
          </button>
        </div>
      )}
      {grants}
      {restoreDialog}
      {busy && (
        <span class="sp-muted" role="status">
          opening…
        </span>
      )}
    </section>
  );
}
