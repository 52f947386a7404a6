/**
 * The panel's root component: header (state, refresh, auto-refresh, the ⋮ actions), then the
 * tabs Overview | Logs | Permissions | Config | Query | Metrics | Events, then a footer with the
 * package version (the "hello" request). A link in one tab may open another (`showLog`: the Logs tab at a log).
 * Refreshing goes through the `_refresh_request` trait only (refresh.ts says why).
 *
 * Timers (the auto-refresh scheduler, the clock for relative times) live in layout effects:
 * Preact 11 runs their cleanups synchronously when the view unmounts, so a closed view leaves
 * no timer behind.
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { useModelValue, useWait } from "./bridge/hooks";
import { type Rpc, RpcFailure } from "./bridge/rpc";
import type { ScopedModel } from "./bridge/scoped-model";
import { waitText } from "./bridge/waiting";
import { ConfigTab } from "./config/tab";
import { EventsTab } from "./events/tab";
import { Header } from "./header";
import { LogsTab } from "./logs/tab";
import { MetricsTab } from "./metrics/tab";
import { type LogRequest, normalizeHello, normalizeSnapshot, type PanelState } from "./model";
import { Overview } from "./overview/tab";
import { PermissionsTab } from "./permissions/tab";
import { QueryTab } from "./query/tab";
import { AutoRefresh, RefreshTrait } from "./refresh";
import { ErrorLine, type ErrorView, toErrorView } from "./ui/errors";
import { Tabs } from "./ui/tabs";

interface PanelProps {
  model: ScopedModel<PanelState>;
  rpc: Rpc;
}

/** How often relative times ("5 min ago") are recomputed when nothing else re-renders. */
export const CLOCK_TICK_MS = 30_000;

let panelCounter = 0;

export function Panel({ model, rpc }: PanelProps) {
  const endpointName = useModelValue(model, "endpoint_name");
  const rawSnapshot = useModelValue(model, "snapshot");
  // Older or hand-made states may lack the trait: polling is on unless Python says otherwise.
  const autoRefresh = useModelValue(model, "auto_refresh") !== false;
  const snapshot = useMemo(
    () => normalizeSnapshot(rawSnapshot, endpointName),
    [rawSnapshot, endpointName],
  );
  const [idPrefix] = useState(() => {
    panelCounter += 1;
    return `sp${panelCounter}`;
  });
  const [version, setVersion] = useState<string | null>(null);
  const [helloError, setHelloError] = useState<ErrorView | null>(null);
  const [busy, setBusy] = useState(false);
  const [requestError, setRequestError] = useState<ErrorView | null>(null);
  const [tab, setTab] = useState("overview");
  const [logRequest, setLogRequest] = useState<LogRequest | null>(null);
  /** Opens the Logs tab at one log (links in other tabs use this). */
  const showLog = (request: Omit<LogRequest, "at">): void => {
    setLogRequest((old) => ({ ...request, at: (old?.at ?? 0) + 1 }));
    setTab("logs");
  };
  // Relative times are computed at render; the clock only forces a render now and then.
  const [, setTick] = useState(0);
  const now = Date.now();
  const live = useRef(true);
  const wait = useWait(rpc.waits);
  // Whether the frontend passes the panel's messages at all: a refresh (a trait change) answered
  // while "hello" (a message sent first) never was means messages are dropped on the way.
  const helloAnswered = useRef(false);
  const [messagesBlocked, setMessagesBlocked] = useState(false);

  // The one refresh road (refresh.ts): the refresh button and the poller both bump the trait.
  const road = useMemo(() => new RefreshTrait(model, undefined, rpc.waits), [model, rpc]);
  const scheduler = useMemo(
    () =>
      new AutoRefresh(() =>
        road.request().then(
          () => {
            if (!live.current) return;
            setRequestError(null);
            if (!helloAnswered.current) setMessagesBlocked(true);
          },
          (reason: unknown) => {
            if (live.current) setRequestError(toErrorView(reason));
            throw reason;
          },
        ),
      ),
    [road],
  );

  useLayoutEffect(() => {
    live.current = true;
    const clock = setInterval(() => setTick((tick) => tick + 1), CLOCK_TICK_MS);
    return () => {
      live.current = false;
      clearInterval(clock);
      scheduler.stop();
      road.close();
    };
  }, [scheduler, road]);

  useLayoutEffect(() => {
    scheduler.observe(snapshot);
  }, [scheduler, snapshot]);

  useLayoutEffect(() => {
    scheduler.setEnabled(autoRefresh);
  }, [scheduler, autoRefresh]);

  useEffect(() => {
    let current = true;
    rpc
      .request<unknown>("hello")
      .then((raw) => {
        helloAnswered.current = true;
        if (!current) return;
        setMessagesBlocked(false);
        setVersion(normalizeHello(raw).version);
      })
      .catch((reason: unknown) => {
        if (reason instanceof RpcFailure) helloAnswered.current = true; // an answer, if an error
        if (current) setHelloError(toErrorView(reason));
      });
    return () => {
      current = false;
    };
  }, [rpc]);

  const onRefresh = (): void => {
    setBusy(true);
    scheduler
      .run()
      .catch(() => undefined) // shown through requestError
      .finally(() => {
        if (live.current) setBusy(false);
      });
  };

  const name = endpointName || snapshot.name;
  return (
    <section
      class="sp-root"
      aria-label={`Serving endpoint ${name}`}
      data-jp-suppress-context-menu=""
    >
      <Header
        name={name}
        snapshot={snapshot}
        now={now}
        busy={busy}
        autoRefresh={autoRefresh}
        requestError={requestError}
        wait={wait}
        onRefresh={onRefresh}
        onAutoRefresh={(enabled) => model.update("auto_refresh", enabled)}
        rpc={rpc}
      />
      {messagesBlocked && (
        <div class="sp-note" role="status" data-testid="messages-blocked">
          This notebook frontend does not pass the panel's messages to Python, so Logs, Permissions
          and the ⋮ actions cannot load here. The header and the Overview still refresh; from
          Python, <code>panel.logs_df(...)</code>, <code>panel.permissions_df()</code> and the
          client's methods all work.
        </div>
      )}
      <Tabs
        idPrefix={idPrefix}
        label="Endpoint views"
        selected={tab}
        onSelect={setTab}
        tabs={[
          {
            key: "overview",
            label: "Overview",
            render: () => <Overview snapshot={snapshot} now={now} onShowLog={showLog} />,
          },
          {
            key: "logs",
            label: "Logs",
            render: (active) => (
              <LogsTab
                model={model}
                rpc={rpc}
                snapshot={snapshot}
                active={active}
                goTo={logRequest}
              />
            ),
          },
          {
            key: "permissions",
            label: "Permissions",
            render: (active) => (
              <PermissionsTab model={model} rpc={rpc} snapshot={snapshot} active={active} />
            ),
          },
          {
            key: "config",
            label: "Config",
            render: (active) => <ConfigTab rpc={rpc} snapshot={snapshot} active={active} />,
          },
          {
            key: "query",
            label: "Query",
            render: (active) => (
              <QueryTab model={model} rpc={rpc} snapshot={snapshot} active={active} />
            ),
          },
          {
            key: "metrics",
            label: "Metrics",
            render: (active) => (
              <MetricsTab rpc={rpc} active={active} gone={snapshot.deleted === true} />
            ),
          },
          {
            key: "events",
            label: "Events",
            render: (active) => (
              <EventsTab
                rpc={rpc}
                snapshot={snapshot}
                active={active}
                onShowLog={showLog}
                onShowTab={setTab}
              />
            ),
          },
        ]}
      />
      <footer class="sp-footer" data-testid="footer">
        {helloError !== null ? (
          <span role="alert" class="sp-error">
            <ErrorLine error={helloError} style="aside" codeClass="sp-muted" />
          </span>
        ) : (
          <span>
            {version === null ? waitText(wait, "connecting…") : `serving-panel ${version}`}
          </span>
        )}
      </footer>
    </section>
  );
}
