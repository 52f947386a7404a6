/**
 * The Query tab: a request editor prefilled from what the endpoint tells (its OpenAPI
 * document, else the last request sent from this panel, else a skeleton), a target (the
 * endpoint's traffic split or one served entity), Send, the answer (streamed ones as they
 * arrive), this session's history and "Copy as". The kernel sends the request
 * (serving_panel/panel/query.py): the browser never holds a token.
 *
 * Querying needs CAN_QUERY: when the snapshot says the caller has less, the tab says so and
 * Send is off (the service would refuse it anyway).
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { Rpc } from "../bridge/rpc";
import type { ScopedModel } from "../bridge/scoped-model";
import type { PanelState, Snapshot } from "../model";
import { ErrorLine, type ErrorView, toErrorView } from "../ui/errors";
import { visibleText } from "../ui/visible";
import { CopyMenu } from "./copy-menu";
import { checkRequest, pretty } from "./editor";
import { History } from "./history";
import { Result } from "./result";
import {
  chunkText,
  DEFAULT_HISTORY_LIMIT,
  type HistoryEntry,
  normalizeHistory,
  normalizePrefill,
  normalizeSend,
  type Prefill,
  type QueryHistory,
  type SendResult,
} from "./types";
import "./query.css";

/** How long a send may take: the service's request timeout (297 s) and a cold start. */
export const SEND_TIMEOUT_MS = 600_000;
const QUERY_LEVELS = ["CAN_QUERY", "CAN_MANAGE"];
const SOURCES: Record<string, string> = {
  openapi: "From the endpoint's OpenAPI document.",
  history: "The last request sent from this panel.",
  skeleton: "A skeleton to fill in.",
};

interface QueryTabProps {
  model: ScopedModel<PanelState>;
  rpc: Rpc;
  snapshot: Snapshot;
  active: boolean;
}

export function QueryTab({ rpc, snapshot, active }: QueryTabProps) {
  const [text, setText] = useState("");
  const [prefill, setPrefill] = useState<Prefill | null>(null);
  const [target, setTarget] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const [streamed, setStreamed] = useState("");
  const [result, setResult] = useState<SendResult | null>(null);
  const [history, setHistory] = useState<QueryHistory>({
    entries: [],
    limit: DEFAULT_HISTORY_LIMIT,
  });
  const [error, setError] = useState<ErrorView | null>(null);
  const started = useRef(false);
  const live = useRef(true);
  useEffect(
    () => () => {
      live.current = false;
    },
    [],
  );

  useEffect(() => {
    if (!active || started.current) return;
    started.current = true;
    rpc.request("query.prefill").then(
      (raw) => {
        if (!live.current) return;
        const got = normalizePrefill(raw);
        setPrefill(got);
        setText((old) => (old === "" && got.request !== null ? pretty(got.request) : old));
      },
      (reason: unknown) => live.current && setError(toErrorView(reason)),
    );
    rpc.request("query.history").then(
      (raw) => live.current && setHistory(normalizeHistory(raw)),
      () => undefined, // the list stays empty; a send refills it
    );
  }, [active, rpc]);

  const checked = useMemo(() => checkRequest(text), [text]);
  const level = snapshot.permission_level;
  const canQuery = level === null || QUERY_LEVELS.includes(level);
  const entities = snapshot.config?.entities.map((entity) => entity.name) ?? [];

  const send = (): void => {
    if (!checked.ok || sending) return;
    setSending(true);
    setStreamed("");
    setResult(null);
    setError(null);
    rpc
      .request(
        "query.send",
        { request: checked.request, served_entity: target },
        {
          timeoutMs: SEND_TIMEOUT_MS,
          onPartial: (data) => live.current && setStreamed((old) => old + chunkText(data)),
        },
      )
      .then(
        (raw) => {
          if (!live.current) return;
          const answer = normalizeSend(raw);
          setResult(answer);
          const entry = answer.entry;
          if (entry !== null)
            setHistory((old) => ({ ...old, entries: [...old.entries, entry].slice(-old.limit) }));
        },
        (reason: unknown) => live.current && setError(toErrorView(reason)),
      )
      .finally(() => live.current && setSending(false));
  };

  const pick = (entry: HistoryEntry): void => {
    setText(pretty(entry.request));
    setTarget(entry.target !== null && entities.includes(entry.target) ? entry.target : null);
  };

  return (
    <div class="sp-query" data-testid="query-tab">
      {!canQuery && (
        <p class="sp-alert" role="status" data-testid="query-needs">
          Querying this endpoint needs <strong>CAN_QUERY</strong>; you have {level}. Ask someone
          with CAN_MANAGE to grant it.
        </p>
      )}
      <div class="sp-query-bar">
        <label>
          Send to{" "}
          <select
            data-testid="query-target"
            value={target ?? ""}
            onChange={(event) => setTarget(event.currentTarget.value || null)}
          >
            <option value="">the endpoint (traffic split)</option>
            {entities.map((name) => (
              <option key={name} value={name}>
                {visibleText(name)}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          class="sp-button"
          data-testid="query-send"
          disabled={!checked.ok || sending || !canQuery}
          onClick={send}
        >
          {sending ? "Sending…" : "Send"}
        </button>
        <CopyMenu rpc={rpc} request={checked.ok ? checked.request : null} target={target} />
      </div>
      {prefill !== null && (
        <p class="sp-muted" data-testid="query-source">
          {SOURCES[prefill.source] ?? ""} {prefill.note}
        </p>
      )}
      <textarea
        class="sp-query-editor"
        aria-label="Request body (JSON)"
        spellcheck={false}
        rows={8}
        data-testid="query-editor"
        value={text}
        aria-invalid={!checked.ok}
        onInput={(event) => setText(event.currentTarget.value)}
      />
      {!checked.ok && text !== "" && (
        <p class="sp-error" role="alert" data-testid="query-problem">
          {checked.problem}
        </p>
      )}
      {error !== null && (
        <p class="sp-error" role="alert" data-testid="query-error">
          <ErrorLine error={error} />
        </p>
      )}
      <Result result={result} streamed={streamed} sending={sending} />
      <h4 class="sp-h">History</h4>
      <History entries={history.entries} onPick={pick} />
    </div>
  );
}
