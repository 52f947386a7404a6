/**
 * Test harness for the actions menu and the delete dialog: a FakeModel playing Python behind a
 * real Rpc, and helpers to press keys, type and click as a user does. It shares flush() with
 * tab-harness.tsx; the actions menu is no tab (it takes a name and an id, not a snapshot), so
 * it mounts EndpointActions itself.
 */
import { render } from "preact";
import { useState } from "preact/hooks";
import { act } from "preact/test-utils";
import { ActionDialog, type ActionDialogKind, EndpointActions } from "../src/actions";
import { Rpc } from "../src/bridge/rpc";
import { ScopedModel } from "../src/bridge/scoped-model";
import type { PanelState, Snapshot } from "../src/model";
import type { WireError } from "../src/ui/errors";
import { FakeModel, panelStateFixture, snapshotFixture } from "./fake-model";
import { flush } from "./tab-harness";

export { flush };

export const SUMMARY = {
  name: "ads-endpoint",
  id: "ep-1",
  entities: ["ads1-1", "ads1-2"],
  routes: [
    { entity: "ads1-1", percentage: 80 },
    { entity: "ads1-2", percentage: 20 },
  ],
  who_can_query: [
    { kind: "user", name: "bob@example.com", level: "CAN_QUERY", inherited: false },
    { kind: "group", name: "admins", level: "CAN_MANAGE", inherited: true },
  ],
  can_manage: true,
  permission_level: "CAN_MANAGE",
  permissions_error: null,
  export: {
    endpoint: {
      name: "ads-endpoint",
      id: "ep-1",
      config: { served_entities: [{ name: "ads1-1", entity_name: "ads1" }] },
      unknown_field: { kept: true },
    },
    permissions: {
      object_id: "/serving-endpoints/ep-1",
      access_control_list: [
        {
          user_name: "bob@example.com",
          all_permissions: [{ permission_level: "CAN_QUERY", inherited: false }],
        },
      ],
    },
  },
};

interface Options {
  name?: string;
  endpointId?: string;
  deleted?: boolean;
  withRpc?: boolean;
  /** For the stop and start items (none without it). */
  snapshot?: Snapshot | undefined;
}

/** The menu and the dialog it opens, as the header composes them. */
function MenuAndDialog(props: {
  name: string;
  endpointId: string;
  deleted: boolean;
  rpc: Rpc | undefined;
  snapshot: Snapshot | undefined;
}) {
  const [dialog, setDialog] = useState<ActionDialogKind | null>(null);
  return (
    <>
      <EndpointActions
        endpointId={props.endpointId}
        deleted={props.deleted}
        rpc={props.rpc}
        snapshot={props.snapshot}
        onOpenDialog={setDialog}
      />
      {dialog !== null && props.rpc !== undefined && (
        <ActionDialog
          kind={dialog}
          name={props.name}
          rpc={props.rpc}
          snapshot={props.snapshot ?? snapshotFixture({ name: props.name })}
          idPrefix="sp-test"
          onClose={() => setDialog(null)}
        />
      )}
    </>
  );
}

export class Harness {
  readonly model: FakeModel<PanelState>;
  readonly rpc: Rpc;
  readonly el: HTMLElement;
  private props: Options & Required<Omit<Options, "snapshot">>;

  constructor(options: Options = {}) {
    this.props = {
      name: "ads-endpoint",
      endpointId: "ep-1",
      deleted: false,
      withRpc: true,
      ...options,
    };
    this.model = new FakeModel(panelStateFixture({ name: this.props.name }));
    this.rpc = new Rpc(new ScopedModel<PanelState>(this.model));
    this.el = document.createElement("div");
    this.el.className = "serving-panel";
    document.body.append(this.el);
    this.draw();
  }

  draw(options: Options = {}): void {
    this.props = { ...this.props, ...options };
    const { name, endpointId, deleted, withRpc, snapshot } = this.props;
    const rpc = withRpc ? this.rpc : undefined;
    act(() => {
      render(
        <MenuAndDialog
          name={name}
          endpointId={endpointId}
          deleted={deleted}
          rpc={rpc}
          snapshot={snapshot}
        />,
        this.el,
      );
    });
  }

  unmount(): void {
    act(() => render(null, this.el));
    this.el.remove();
  }

  get(selector: string): HTMLElement {
    const found = this.el.querySelector<HTMLElement>(selector);
    if (found === null) throw new Error(`nothing matches ${selector}`);
    return found;
  }

  find(selector: string): HTMLElement | null {
    return this.el.querySelector<HTMLElement>(selector);
  }

  byTestId(testId: string): HTMLElement {
    return this.get(`[data-testid="${testId}"]`);
  }

  get button(): HTMLButtonElement {
    return this.byTestId("actions") as HTMLButtonElement;
  }

  get menu(): HTMLElement | null {
    return this.find("[role=menu]");
  }

  get items(): HTMLElement[] {
    return [...this.el.querySelectorAll<HTMLElement>("[role=menuitem]")];
  }

  get dialog(): HTMLElement | null {
    return this.find("[role=dialog]");
  }

  get active(): Element | null {
    return document.activeElement;
  }

  key(target: Element, key: string, init: KeyboardEventInit = {}): KeyboardEvent {
    const event = new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true, ...init });
    act(() => {
      target.dispatchEvent(event);
    });
    return event;
  }

  click(target: Element): void {
    act(() => {
      (target as HTMLElement).click();
    });
  }

  type(text: string): void {
    const input = this.byTestId("delete-input") as HTMLInputElement;
    act(() => {
      input.value = text;
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }

  /** Opens the menu with the keyboard and activates "Delete endpoint…". */
  openDialog(): void {
    this.button.focus();
    this.key(this.button, "Enter");
    const item = this.items.find((i) => i.textContent === "Delete endpoint…");
    if (item === undefined) throw new Error("no delete item");
    item.focus();
    this.key(item, "Enter");
  }

  async reply(kind: string, result: unknown): Promise<void> {
    await act(async () => {
      this.model.answer(kind, result);
      await flush();
    });
  }

  async fail(kind: string, error: WireError) {
    await act(async () => {
      this.model.answer(kind, {}, error);
      await flush();
    });
  }

  /** Opens the dialog and answers its summary request. */
  async openWith(summary: unknown = SUMMARY): Promise<void> {
    this.openDialog();
    await this.reply("delete.summary", summary);
  }
}
