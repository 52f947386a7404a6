/**
 * One panel tab mounted on a fake model, for vitest: draw it, switch it on and off, and play
 * Python by answering the requests it sends. Each tab's test extends it with its own helpers.
 */
import type { ComponentType } from "preact";
import { render } from "preact";
import { act } from "preact/test-utils";
import type { KernelActivity } from "../src/bridge/kernel";
import { Rpc } from "../src/bridge/rpc";
import { ScopedModel } from "../src/bridge/scoped-model";
import { WaitWatch } from "../src/bridge/waiting";
import { normalizeSnapshot, type PanelState, type Snapshot } from "../src/model";
import type { WireError } from "../src/ui/errors";
import { FakeModel, panelStateFixture } from "./fake-model";
import { settled } from "./settle";

export interface TabProps {
  model: ScopedModel<PanelState>;
  rpc: Rpc;
  snapshot: Snapshot;
  active: boolean;
}

export interface SentRequest {
  id: string;
  kind: string;
  payload: Record<string, unknown>;
}

/** Lets promise callbacks (replies, state updates) run: see settle.ts. */
export const flush = settled;

export class TabHarness {
  readonly model: FakeModel<PanelState>;
  readonly scoped: ScopedModel<PanelState>;
  readonly rpc: Rpc;
  readonly el: HTMLElement;
  snapshot: Snapshot;
  private active: boolean;
  private readonly replied = new Set<string>();

  constructor(
    private readonly Tab: ComponentType<TabProps>,
    snapshot: Partial<Snapshot> = {},
    active = true,
    /** What the host says about the kernel (test/fake-kernel.ts); by default nothing. */
    kernel?: KernelActivity,
  ) {
    this.model = new FakeModel(panelStateFixture(snapshot));
    this.scoped = new ScopedModel(this.model);
    this.rpc = new Rpc(this.scoped, undefined, new WaitWatch(kernel));
    this.snapshot = normalizeSnapshot(this.model.get("snapshot"));
    this.active = active;
    this.el = document.createElement("div");
    this.el.className = "serving-panel";
    document.body.append(this.el);
    this.draw();
  }

  draw(): void {
    const Tab = this.Tab;
    act(() => {
      render(
        <Tab model={this.scoped} rpc={this.rpc} snapshot={this.snapshot} active={this.active} />,
        this.el,
      );
    });
  }

  setActive(active: boolean): void {
    this.active = active;
    this.draw();
  }

  setSnapshot(snapshot: Snapshot): void {
    this.snapshot = snapshot;
    this.draw();
  }

  unmount(): void {
    act(() => render(null, this.el));
  }

  /** What the widget's cleanup does: close the rpc, unmount, drop the listeners. */
  close(): void {
    this.rpc.close();
    act(() => render(null, this.el));
    this.scoped.dispose();
  }

  requests(kind: string): SentRequest[] {
    return this.model
      .requests()
      .filter((r) => r.kind === kind)
      .map((r) => ({ id: r.id, kind: r.kind, payload: r.payload as Record<string, unknown> }));
  }

  /** The newest request of `kind` not answered yet. */
  open(kind: string): SentRequest {
    const open = this.requests(kind).filter((r) => !this.replied.has(r.id));
    const last = open[open.length - 1];
    if (last === undefined) throw new Error(`no open "${kind}" request`);
    return last;
  }

  openCount(kind: string): number {
    return this.requests(kind).filter((r) => !this.replied.has(r.id)).length;
  }

  async reply(kind: string, result: unknown, request = this.open(kind)): Promise<SentRequest> {
    this.replied.add(request.id);
    await act(async () => {
      this.model.receive({ type: "reply", id: request.id, ok: true, result });
      await flush();
    });
    return request;
  }

  async fail(kind: string, error: WireError): Promise<SentRequest> {
    const request = this.open(kind);
    this.replied.add(request.id);
    await act(async () => {
      this.model.receive({ type: "reply", id: request.id, ok: false, error });
      await flush();
    });
    return request;
  }
}
