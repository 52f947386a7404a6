/**
 * An in-memory stand-in for the anywidget model proxy, for vitest.
 *
 * It records what the view does (set, save_changes, send) and lets a test play the Python side:
 * `fromPython` changes a trait and fires `change:<key>`, `receive` delivers a custom message.
 * `listenerCount()` is how tests prove a view's cleanup removed every listener it added.
 */
import type { AnyModel } from "@anywidget/types";
import type { ConfigView, EntityView, PanelState, Snapshot, WireSnapshot } from "../src/model";
import type { WireError } from "../src/ui/errors";

// biome-ignore lint/suspicious/noExplicitAny: the anywidget callback type is (...args: any[]).
type Handler = (...args: any[]) => void;

export interface SentMessage {
  content: unknown;
  buffers: unknown[] | undefined;
}

export class FakeModel<S extends Record<string, unknown>> implements AnyModel<S> {
  readonly sent: SentMessage[] = [];
  readonly saved: Array<Partial<S>> = [];
  // The real proxy exposes the manager; nothing here uses it.
  readonly widget_manager = {
    get_model: (): Promise<never> => Promise.reject(new Error("no widget manager in tests")),
  };
  private readonly state: S;
  private dirty: Partial<S> = {};
  private readonly listeners = new Map<string, Set<Handler>>();
  private readonly answered = new Set<string>();

  constructor(initial: S) {
    this.state = structuredClone(initial);
  }

  get<K extends keyof S>(key: K): S[K] {
    return this.state[key];
  }

  set<K extends keyof S>(key: K, value: S[K]): void {
    this.state[key] = value;
    this.dirty[key] = value;
    this.emit(`change:${String(key)}`);
  }

  save_changes(): void {
    this.saved.push(this.dirty);
    this.dirty = {};
  }

  send(content: unknown, _callbacks?: unknown, buffers?: unknown[]): void {
    this.sent.push({ content: structuredClone(content), buffers });
  }

  on(eventName: string, callback: Handler): void {
    let handlers = this.listeners.get(eventName);
    if (handlers === undefined) {
      handlers = new Set();
      this.listeners.set(eventName, handlers);
    }
    handlers.add(callback);
  }

  off(eventName?: string | null, callback?: Handler | null): void {
    if (eventName == null) {
      if (callback == null) {
        this.listeners.clear();
      } else {
        for (const handlers of this.listeners.values()) handlers.delete(callback);
      }
      return;
    }
    if (callback == null) {
      this.listeners.delete(eventName);
    } else {
      this.listeners.get(eventName)?.delete(callback);
    }
  }

  /** Python changed a trait: update it and notify listeners, as a kernel message would. */
  fromPython<K extends keyof S>(key: K, value: S[K]): void {
    this.state[key] = value;
    this.emit(`change:${String(key)}`);
  }

  /** Python sent a custom message (`widget.send(content)`). */
  receive(content: unknown, buffers: DataView[] = []): void {
    this.emit("msg:custom", content, buffers);
  }

  /** Number of live listeners, for one event or for all. */
  listenerCount(eventName?: string): number {
    if (eventName !== undefined) {
      return this.listeners.get(eventName)?.size ?? 0;
    }
    let total = 0;
    for (const handlers of this.listeners.values()) total += handlers.size;
    return total;
  }

  /** The requests a view sent, as `{type, kind, id, payload}`. */
  requests(): Array<{ type: string; kind: string; id: string; payload: unknown }> {
    return this.sent
      .map((message) => message.content as { type?: string })
      .filter((content) => content.type === "request") as Array<{
      type: string;
      kind: string;
      id: string;
      payload: unknown;
    }>;
  }

  /** Python answers the oldest unanswered request of `kind`; returns its id. */
  answer(kind: string, result: unknown = {}, error?: WireError): string {
    const request = this.requests().find((r) => r.kind === kind && !this.answered.has(r.id));
    if (request === undefined) throw new Error(`no unanswered "${kind}" request`);
    this.answered.add(request.id);
    this.receive(
      error === undefined
        ? { type: "reply", id: request.id, ok: true, result }
        : { type: "reply", id: request.id, ok: false, error },
    );
    return request.id;
  }

  /** How many requests of `kind` the view sent. */
  requestCount(kind: string): number {
    return this.requests().filter((r) => r.kind === kind).length;
  }

  private emit(eventName: string, ...args: unknown[]): void {
    for (const handler of [...(this.listeners.get(eventName) ?? [])]) handler(...args);
  }
}

// Fixtures for the panel's synced state (the shape serving_panel/panel/snapshot.py builds).

/** A served entity, DEPLOYMENT_READY unless overridden. */
export function entityFixture(overrides: Partial<EntityView> = {}): EntityView {
  return {
    name: "ads1-1",
    entity: "ads1",
    version: "1",
    workload_size: "Small",
    workload_type: "CPU",
    scale_to_zero: false,
    state: "DEPLOYMENT_READY",
    message: "",
    traffic: 100,
    external: false,
    ...overrides,
  };
}

/** A config; `routes` defaults to each entity's `traffic`. */
export function configFixture(overrides: Partial<ConfigView> = {}): ConfigView {
  const entities = overrides.entities ?? [entityFixture()];
  return {
    version: 1,
    start_time: 1_700_000_000_000,
    entities,
    routes: entities
      .filter((e) => e.traffic !== null)
      .map((e) => ({ entity: e.name, percentage: e.traffic ?? 0 })),
    ...overrides,
  };
}

/** A read, Ready endpoint with one served entity, unless overridden. */
export function snapshotFixture(overrides: Partial<Snapshot> = {}): Snapshot {
  return {
    name: "ads-endpoint",
    id: "ep-1",
    revision: 0,
    fetched_at: 1_700_000_100_000,
    state: "Ready",
    ready: "READY",
    config_update: "NOT_UPDATING",
    creator: "alice@example.com",
    created: 1_700_000_000_000,
    updated: 1_700_000_050_000,
    description: "",
    permission_level: "CAN_MANAGE",
    tags: [],
    config: configFixture(),
    pending: null,
    error: null,
    ...overrides,
  };
}

/** A Snapshot as Python would write it into the trait: the error in its wire form. */
export function wireSnapshot(snapshot: Snapshot): WireSnapshot {
  const { error, ...rest } = snapshot;
  if (error === null) return { ...rest, error: null };
  return {
    ...rest,
    error: {
      message: error.message,
      ...(error.errorCode !== undefined ? { error_code: error.errorCode } : {}),
      ...(error.status !== undefined ? { status: error.status } : {}),
    },
  };
}

export function panelStateFixture(
  snapshot: Partial<Snapshot> = {},
  overrides: Partial<PanelState> = {},
): PanelState {
  const full = snapshotFixture(snapshot);
  return {
    endpoint_name: full.name,
    snapshot: wireSnapshot(full),
    auto_refresh: true,
    _refresh_request: 0,
    ...overrides,
  };
}
