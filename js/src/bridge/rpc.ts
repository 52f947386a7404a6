/**
 * Request/response over anywidget custom messages.
 *
 * Every request carries an id; Python answers with the same id. Replies reach every view of the
 * model, so each Rpc keeps its own pending map and ignores ids it did not issue. Listening starts
 * in the constructor, before any request can be sent, so no reply is lost.
 *
 * Each request holds a ticket of the view's WaitWatch (waiting.ts) until it settles, so a view
 * can say "waiting for the kernel" once one goes unanswered for about a second.
 *
 * A handler whose answer comes in pieces (a streamed query) sends `{type: "partial", id, data}`
 * messages before its reply (serving_panel/panel/protocol.py): each goes to the request's
 * `onPartial`, in order, and restarts its timeout (the kernel is alive); only the reply settles.
 */
import { type ErrorView, errorFromWire } from "../ui/errors";
import type { ScopedModel } from "./scoped-model";
import { WaitWatch } from "./waiting";

/** A reply as Python sends it; `error` is in the wire form `{message, error_code, status}`. */
export interface RpcReply {
  type: "reply";
  id: string;
  ok: boolean;
  result?: unknown;
  error?: unknown;
}

/** Python answered `ok: false`: the reply's error, read once from the wire into an ErrorView. */
export class RpcFailure extends Error implements ErrorView {
  readonly errorCode: string | undefined;
  readonly status: number | undefined;

  constructor(error: ErrorView) {
    super(error.message);
    this.name = "RpcFailure";
    this.errorCode = error.errorCode;
    this.status = error.status;
  }
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (reason: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  done: () => void;
  onPartial: ((data: unknown) => void) | undefined;
  expire: () => void;
  timeoutMs: number;
}

export interface RequestOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called with each partial answer Python sends before the reply, in order. */
  onPartial?: (data: unknown) => void;
}

let viewCounter = 0;

function isPartial(msg: unknown): msg is { type: "partial"; id: string; data: unknown } {
  return (
    typeof msg === "object" &&
    msg !== null &&
    (msg as { type?: unknown }).type === "partial" &&
    typeof (msg as { id?: unknown }).id === "string"
  );
}

function isReply(msg: unknown): msg is RpcReply {
  return (
    typeof msg === "object" &&
    msg !== null &&
    (msg as { type?: unknown }).type === "reply" &&
    typeof (msg as { id?: unknown }).id === "string"
  );
}

export class Rpc {
  private readonly pending = new Map<string, Pending>();
  private readonly prefix: string;
  private sequence = 0;
  private closed = false;
  private readonly onMessage = (msg: unknown): void => this.handle(msg);

  constructor(
    // biome-ignore lint/suspicious/noExplicitAny: any synced state will do; only messages are used.
    private readonly model: ScopedModel<any>,
    private readonly defaultTimeoutMs = 60_000,
    /** Tracks this view's unanswered requests (and the refresh's); the view disposes it. */
    readonly waits: WaitWatch = new WaitWatch(),
  ) {
    viewCounter += 1;
    this.prefix = `${Date.now().toString(36)}-${viewCounter}-${Math.random().toString(36).slice(2, 8)}`;
    model.on("msg:custom", this.onMessage);
  }

  /** Sends `{type: "request", kind, id, payload}` and resolves with Python's `result`. */
  request<T>(kind: string, payload: object = {}, options: RequestOptions = {}): Promise<T> {
    if (this.closed) {
      return Promise.reject(new Error("the panel view was closed"));
    }
    this.sequence += 1;
    const id = `${this.prefix}-${this.sequence}`;
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const expire = (): void => {
        const entry = this.pending.get(id);
        if (entry === undefined) return;
        if (this.waits.kernelRunningCell) {
          entry.timer = setTimeout(expire, timeoutMs); // queued behind a cell, not lost
          return;
        }
        this.settle(
          id,
          new Error(`no answer from Python to "${kind}" within ${timeoutMs / 1000} s`),
        );
      };
      const timer = setTimeout(expire, timeoutMs);
      const done = this.waits.begin();
      this.pending.set(id, {
        resolve: resolve as (value: unknown) => void,
        reject,
        timer,
        done,
        onPartial: options.onPartial,
        expire,
        timeoutMs,
      });
      options.signal?.addEventListener("abort", () => this.settle(id, new Error("aborted")), {
        once: true,
      });
      this.model.send({ type: "request", kind, id, payload });
    });
  }

  /** Stops listening and rejects whatever is still waiting. */
  close(): void {
    this.closed = true;
    this.model.off("msg:custom", this.onMessage);
    for (const id of [...this.pending.keys()]) {
      this.settle(id, new Error("the panel view was closed"));
    }
  }

  get outstanding(): number {
    return this.pending.size;
  }

  private handle(msg: unknown): void {
    if (isPartial(msg)) {
      const entry = this.pending.get(msg.id);
      if (entry === undefined) return;
      clearTimeout(entry.timer);
      entry.timer = setTimeout(entry.expire, entry.timeoutMs);
      entry.onPartial?.(msg.data);
      return;
    }
    if (!isReply(msg) || !this.pending.has(msg.id)) {
      return;
    }
    if (msg.ok) {
      this.settle(msg.id, undefined, msg.result);
    } else {
      this.settle(msg.id, new RpcFailure(errorFromWire(msg.error)));
    }
  }

  private settle(id: string, error: Error | undefined, result?: unknown): void {
    const entry = this.pending.get(id);
    if (entry === undefined) {
      return;
    }
    this.pending.delete(id);
    clearTimeout(entry.timer);
    entry.done();
    if (error === undefined) {
      entry.resolve(result);
    } else {
      entry.reject(error);
    }
  }
}
