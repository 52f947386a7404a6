/** The editor's request sequencing, without a DOM: a fake Python behind a real Rpc. */
import { describe, expect, it, vi } from "vitest";
import { FakeModel } from "../../test/fake-model";
import { settled } from "../../test/settle";
import { Rpc } from "../bridge/rpc";
import { ScopedModel } from "../bridge/scoped-model";
import type { WireError } from "../ui/errors";
import { PermissionsController, STALE_MESSAGE } from "./controller";
import type { AclRead } from "./types";

const ADA = "ada@example.com";
const BOB = "bob@example.com";

function aclRead(fingerprint = "fp-1", bobLevel = "CAN_QUERY"): AclRead {
  const row = (name: string, level: string) => ({
    kind: "user" as const,
    name,
    display_name: null,
    level,
    inherited: false,
    inherited_from: [],
  });
  return {
    rows: [row(ADA, "CAN_MANAGE"), row(BOB, bobLevel)],
    direct: [
      { kind: "user", name: ADA, level: "CAN_MANAGE" },
      { kind: "user", name: BOB, level: bobLevel },
    ],
    fingerprint,
    endpoint_id: "ep-1",
    caller: { kind: "user", name: ADA },
    levels: ["CAN_VIEW", "CAN_QUERY", "CAN_MANAGE"],
  };
}

function setup() {
  const model = new FakeModel({});
  const rpc = new Rpc(new ScopedModel(model));
  const changed = vi.fn();
  const controller = new PermissionsController(rpc, changed);
  const sent = (kind: string) => model.requests().filter((r) => r.kind === kind);
  const answer = async (kind: string, result: unknown) => {
    model.answer(kind, result);
    await settled();
  };
  const fail = async (kind: string, error: WireError) => {
    model.answer(kind, {}, error);
    await settled();
  };
  return { model, controller, changed, sent, answer, fail };
}

const BOB_VIEW = { kind: "user", name: BOB, level: "CAN_VIEW" };

describe("PermissionsController", () => {
  it("reads the ACL once when first shown", async () => {
    const { controller, sent, answer } = setup();
    controller.show();
    controller.show();
    expect(sent("acl.read")).toHaveLength(1);
    expect(controller.state.loading).toBe(true);
    await answer("acl.read", aclRead());
    expect(controller.state.loading).toBe(false);
    expect(controller.state.read?.fingerprint).toBe("fp-1");
  });

  it("drops a read that a newer one overtook", async () => {
    const { controller, model } = setup();
    controller.load();
    controller.load();
    const [older, newer] = model.requests();
    model.receive({ type: "reply", id: newer?.id, ok: true, result: aclRead("fp-new") });
    await settled();
    model.receive({ type: "reply", id: older?.id, ok: true, result: aclRead("fp-old") });
    await settled();
    expect(controller.state.read?.fingerprint).toBe("fp-new");
  });

  it("stages, previews against the fingerprint shown, and applies", async () => {
    const { controller, sent, answer } = setup();
    controller.show();
    await answer("acl.read", aclRead());
    controller.setLevel({ kind: "user", name: BOB, display_name: null }, "CAN_VIEW");
    expect(controller.changes).toEqual([BOB_VIEW]);
    expect(controller.changes).toBe(controller.changes); // one array while nothing changes
    controller.openDialog();
    expect(controller.state.dialog?.planning).toBe(true);
    expect(sent("acl.preview")[0]?.payload).toEqual({ fingerprint: "fp-1", changes: [BOB_VIEW] });
    await answer("acl.preview", { method: "PATCH", changes: [], fingerprint: "fp-1" });
    expect(controller.state.dialog?.planning).toBe(false);
    expect(controller.state.dialog?.preview?.method).toBe("PATCH");
    controller.apply(true);
    expect(controller.state.applying).toBe(true);
    expect(sent("acl.apply")[0]?.payload).toEqual({
      fingerprint: "fp-1",
      changes: [BOB_VIEW],
      confirm_warnings: false,
    });
    await answer("acl.apply", aclRead("fp-2", "CAN_VIEW"));
    expect(controller.state).toMatchObject({
      applying: false,
      dialog: null,
      notice: "Applied 1 change.",
      focusTick: 1,
    });
    expect(controller.state.staged.size).toBe(0);
    expect(controller.state.read?.fingerprint).toBe("fp-2");
  });

  it("on a stale ACL closes the review, says so, reads again and keeps what still applies", async () => {
    const { controller, sent, answer, fail } = setup();
    controller.show();
    await answer("acl.read", aclRead());
    controller.setLevel({ kind: "user", name: BOB, display_name: null }, "CAN_VIEW");
    controller.apply(false);
    await fail("acl.apply", { message: "changed", error_code: "STALE_ACL", status: 409 });
    expect(controller.state.alert?.message).toBe(STALE_MESSAGE);
    expect(sent("acl.read")).toHaveLength(2);
    await answer("acl.read", aclRead("fp-3"));
    expect(controller.changes).toEqual([BOB_VIEW]);
  });

  it("asks for an acknowledgement when Python wants one, from the bar or the dialog", async () => {
    const { controller, sent, answer, fail } = setup();
    controller.show();
    await answer("acl.read", aclRead());
    controller.remove({ kind: "user", name: ADA });
    controller.apply(false);
    await fail("acl.apply", { message: "you lose", error_code: "CONFIRM_REQUIRED", status: 409 });
    expect(controller.state.dialog?.confirmMessage).toBe("you lose");
    expect(sent("acl.preview")).toHaveLength(1);
    await answer("acl.preview", { method: "PUT", changes: [], fingerprint: "fp-1" });
    controller.acknowledge(true);
    controller.apply(true);
    expect(sent("acl.apply")[1]?.payload).toMatchObject({ confirm_warnings: true });
  });

  it("shows other apply errors in the dialog or as an alert", async () => {
    const { controller, answer, fail } = setup();
    controller.show();
    await answer("acl.read", aclRead());
    controller.setLevel({ kind: "user", name: BOB, display_name: null }, "CAN_VIEW");
    controller.apply(false);
    await fail("acl.apply", { message: "bad", error_code: "INVALID_PARAMETER_VALUE", status: 400 });
    expect(controller.state.alert).toEqual({
      message: "bad",
      errorCode: "INVALID_PARAMETER_VALUE",
      status: 400,
    });
    controller.openDialog();
    await answer("acl.preview", { method: "PATCH", changes: [], fingerprint: "fp-1" });
    controller.apply(true);
    await fail("acl.apply", { message: "worse", status: 500 });
    expect(controller.state.dialog?.error).toEqual({
      message: "worse",
      errorCode: undefined,
      status: 500,
    });
  });

  it("ignores a preview answered after its dialog was closed", async () => {
    const { controller, answer } = setup();
    controller.show();
    await answer("acl.read", aclRead());
    controller.setLevel({ kind: "user", name: BOB, display_name: null }, "CAN_VIEW");
    controller.openDialog();
    controller.closeDialog();
    await answer("acl.preview", { stale: true });
    expect(controller.state.dialog).toBeNull();
    expect(controller.state.alert).toBeNull();
  });

  it("says why a grant can't be added, and discards what is staged", async () => {
    const { controller, answer } = setup();
    controller.show();
    await answer("acl.read", aclRead());
    const grant = { kind: "user" as const, name: BOB, level: "CAN_QUERY", display_name: null };
    expect(controller.add(grant)).toBe(`user ${BOB} already holds CAN_QUERY directly.`);
    expect(controller.add({ ...grant, name: "carol@example.com" })).toBeNull();
    expect(controller.changes).toHaveLength(1);
    controller.discard();
    expect(controller.changes).toEqual([]);
    expect(controller.state.notice).toBe("Discarded the staged changes.");
  });

  it("changes nothing after dispose, whatever answers later", async () => {
    const { controller, changed, answer } = setup();
    controller.show();
    controller.dispose();
    const calls = changed.mock.calls.length;
    await answer("acl.read", aclRead());
    expect(controller.state.read).toBeNull();
    expect(changed).toHaveBeenCalledTimes(calls);
  });
});
