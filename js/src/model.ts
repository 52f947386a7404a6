/**
 * The synced state of EndpointPanel, mirroring the traitlets in serving_panel/panel/widget.py and the
 * snapshot built by serving_panel/panel/snapshot.py (that dict's shape is the contract).
 * Keep it small and JSON-shaped: anything synced may end up saved in a notebook.
 * Times are epoch milliseconds.
 */
import { isObject, list, num, str, strOrNull } from "./bridge/wire";
import { type ErrorView, errorFromWire, type WireError } from "./ui/errors";

export type EntityView = {
  name: string;
  /** Registered model name, or `provider/name` for an external model. */
  entity: string;
  version: string | null;
  workload_size: string | null;
  workload_type: string | null;
  scale_to_zero: boolean | null;
  /** Deployment state, e.g. DEPLOYMENT_READY. */
  state: string | null;
  message: string;
  /** Traffic percentage routed to this entity, when a route names it. */
  traffic: number | null;
  external: boolean;
};

export type RouteView = { entity: string; percentage: number };

export type ConfigView = {
  version: number | null;
  start_time: number | null;
  entities: EntityView[];
  routes: RouteView[];
};

export type Tag = { key: string; value: string | null };

/** A quoted line of a diagnosis: which log (or the entity's state message), its 1-based line
 * number in that log (null for the state message), and its text (terminal escapes removed). */
export type TriageLine = { log: "build" | "server" | "state"; line: number | null; text: string };

/**
 * Why a served entity failed, as serving_panel/triage.py's Diagnosis.to_json() gives it
 * (serving_panel/panel/triage.py reads the logs once per failed entity and config version).
 * `log` and `line` point at the first quoted log line (null when only the state message shows
 * the cause). Every string is server text: render it as text, never as HTML.
 */
export type TriageView = {
  entity: string | null;
  config_version: number | null;
  /** A signature id, e.g. "missing-module", "out-of-memory" (triage.SIGNATURES). */
  cause: string;
  title: string;
  advice: string;
  log: "build" | "server" | null;
  line: number | null;
  lines: TriageLine[];
};

export type Snapshot = {
  /** Endpoint name the snapshot describes. */
  name: string;
  id: string;
  /** Bumped by Python each time it answers a refresh; lets views tell fresh data from stale. */
  revision: number;
  fetched_at: number | null;
  /** The UI's label: one of UI_STATES (null before the first read). */
  state: string | null;
  ready: string | null;
  config_update: string | null;
  creator: string | null;
  created: number | null;
  updated: number | null;
  description: string;
  permission_level: string | null;
  tags: Tag[];
  config: ConfigView | null;
  pending: ConfigView | null;
  /** Set when the last refresh failed; the rest is what was shown before. */
  error: ErrorView | null;
  /** Set (true) by Python once the panel deleted the endpoint (serving_panel/panel/delete.py). */
  deleted?: boolean;
  /** Diagnoses of the failed served entities, pending config's first; the key is present only
   * while there is one (serving_panel/panel/triage.py). */
  triage?: TriageView[];
};

/**
 * The `snapshot` trait as Python writes it: a Snapshot whose error is still in the wire form.
 * It may also be partial or older (a saved notebook, a hand-set trait): read it through
 * normalizeSnapshot, never directly.
 */
export type WireSnapshot = Omit<Snapshot, "error"> & { error: WireError | null };

export type PanelState = {
  endpoint_name: string;
  snapshot: WireSnapshot;
  /** Whether open views poll for changes (see refresh.ts). */
  auto_refresh: boolean;
  /**
   * Written by the browser (refresh.ts): a counter whose every change asks Python to re-read
   * the endpoint. A trait, not a message, so marimo's reactivity sees each refresh.
   */
  _refresh_request: number;
  /**
   * ServingExplorer only: the names selected in the list, written by the browser (a trait, so
   * a marimo cell reading `explorer.selected` re-runs when the selection changes).
   */
  selection?: string[];
};

/**
 * A request to show one log in the Logs tab, from another part of the panel (a failed
 * update's "Build log" link, a triage card, an event). `at` changes with each request, so
 * asking for the same log twice shows it twice.
 */
export type LogRequest = {
  entity: string;
  version: number | null;
  kind: "build" | "server";
  /** A 1-based line to show (a quoted line of a diagnosis), if any. */
  line?: number | undefined;
  at: number;
};

/** Opens the Logs tab at one log (the panel gives this to tabs that link to logs). */
export type ShowLog = (request: Omit<LogRequest, "at">) => void;

/** The five states the Databricks UI shows, as types.py labels them. */
export const UI_STATES = [
  "Ready",
  "Ready (update failed)",
  "Not ready (updating)",
  "Not ready (update failed)",
  "Not ready (stopped)",
] as const;

/** The colour family of a state badge. */
export type Tone = "ready" | "updating" | "failed" | "stopped" | "unknown";

export function stateTone(state: string | null): Tone {
  switch (state) {
    case "Ready":
      return "ready";
    case "Not ready (updating)":
      return "updating";
    case "Ready (update failed)":
    case "Not ready (update failed)":
      return "failed";
    case "Not ready (stopped)":
      return "stopped";
    default:
      return "unknown";
  }
}

/** The colour family of a served entity's deployment state. */
export function deploymentTone(state: string | null): Tone {
  switch (state) {
    case "DEPLOYMENT_READY":
      return "ready";
    case "DEPLOYMENT_CREATING":
    case "DEPLOYMENT_RECOVERING":
      return "updating";
    case "DEPLOYMENT_FAILED":
      return "failed";
    case "DEPLOYMENT_ABORTED":
      return "stopped";
    default:
      return "unknown";
  }
}

export function isUpdating(snapshot: Snapshot): boolean {
  return snapshot.config_update === "IN_PROGRESS";
}

// Normalisation: the view must survive partial or older snapshots (a saved notebook, a test
// setting `panel.snapshot = {...}` by hand) without throwing, so every field gets a default.

/** Epoch milliseconds a Date can hold (anything else would make date formatting throw). */
function time(value: unknown): number | null {
  const ms = num(value);
  return ms !== null && Math.abs(ms) <= 8.64e15 ? ms : null;
}

function entityView(raw: unknown): EntityView {
  const e = isObject(raw) ? raw : {};
  return {
    name: str(e.name),
    entity: str(e.entity),
    version: strOrNull(e.version),
    workload_size: strOrNull(e.workload_size),
    workload_type: strOrNull(e.workload_type),
    scale_to_zero: typeof e.scale_to_zero === "boolean" ? e.scale_to_zero : null,
    state: strOrNull(e.state),
    message: str(e.message),
    traffic: num(e.traffic),
    external: e.external === true,
  };
}

function configView(raw: unknown): ConfigView | null {
  if (!isObject(raw)) return null;
  return {
    version: num(raw.version),
    start_time: time(raw.start_time),
    entities: list(raw.entities).map(entityView),
    routes: list(raw.routes)
      .filter(isObject)
      .map((route) => ({ entity: str(route.entity), percentage: num(route.percentage) ?? 0 })),
  };
}

/**
 * A complete Snapshot from whatever the `snapshot` trait holds, with defaults for anything
 * missing: the one reader of the trait.
 */
export function normalizeSnapshot(raw: unknown, fallbackName = ""): Snapshot {
  const s = isObject(raw) ? raw : {};
  // The wire's {message, error_code, status} becomes an ErrorView here, once.
  const error = isObject(s.error) ? errorFromWire(s.error, "refresh failed") : null;
  return {
    name: str(s.name, fallbackName),
    id: str(s.id),
    revision: num(s.revision) ?? 0,
    fetched_at: time(s.fetched_at),
    state: strOrNull(s.state),
    ready: strOrNull(s.ready),
    config_update: strOrNull(s.config_update),
    creator: strOrNull(s.creator),
    created: time(s.created),
    updated: time(s.updated),
    description: str(s.description),
    permission_level: strOrNull(s.permission_level),
    tags: list(s.tags)
      .filter(isObject)
      .map((tag) => ({ key: str(tag.key), value: strOrNull(tag.value) })),
    config: configView(s.config),
    pending: configView(s.pending),
    error,
    ...(s.deleted === true ? { deleted: true } : {}),
    ...(Array.isArray(s.triage) ? { triage: list(s.triage).filter(isObject).map(triageView) } : {}),
  };
}

const LOGS = ["build", "server"] as const;

function logName(value: unknown): "build" | "server" | null {
  return LOGS.find((log) => log === value) ?? null;
}

function triageView(t: Record<string, unknown>): TriageView {
  return {
    entity: strOrNull(t.entity),
    config_version: num(t.config_version),
    cause: str(t.cause),
    title: str(t.title),
    advice: str(t.advice),
    log: logName(t.log),
    line: num(t.line),
    lines: list(t.lines)
      .filter(isObject)
      .map((l) => ({ log: logName(l.log) ?? "state", line: num(l.line), text: str(l.text) })),
  };
}

/** What Python answers to `hello`: the package version the footer shows. */
export type Hello = { version: string };

/** The typed Hello from `hello`'s raw result ("unknown" when it names no version). */
export function normalizeHello(raw: unknown): Hello {
  return { version: str(isObject(raw) ? raw.version : undefined, "unknown") };
}
