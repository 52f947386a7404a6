/**
 * An in-memory stand-in for the anywidget model proxy, for vitest.
 *
 * It records what the view does (set, save_changes, send) and lets a test play the Python side:
 * `fromPython` changes a trait and fires `change:<key>`, `receive` delivers a custom message.
 * `listenerCount()` is how tests prove a view's cleanup removed every listener it added.
 */
import type { AnyModel } from "@anywidget/types";

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

  private emit(eventName: string, ...args: unknown[]): void {
    for (const handler of [...(this.listeners.get(eventName) ?? [])]) handler(...args);
  }
}
