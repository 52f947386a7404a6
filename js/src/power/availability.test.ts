import { describe, expect, it } from "vitest";
import { snapshotFixture } from "../../test/fake-model";
import { isStopped, powerAction } from "./availability";

const stopped = { state: "Not ready (stopped)", ready: "NOT_READY" } as const;

describe("powerAction", () => {
  it("offers stop on a ready endpoint its manager sees", () => {
    expect(powerAction(snapshotFixture({ permission_level: "CAN_MANAGE" }))).toEqual({
      action: "stop",
      disabled: false,
      why: undefined,
    });
  });

  it("offers start on a stopped endpoint", () => {
    const snapshot = snapshotFixture({ ...stopped, permission_level: "CAN_MANAGE" });
    expect(isStopped(snapshot)).toBe(true);
    expect(powerAction(snapshot)?.action).toBe("start");
  });

  it("says which level is needed without CAN_MANAGE", () => {
    const action = powerAction(snapshotFixture({ permission_level: "CAN_QUERY" }));
    expect(action?.disabled).toBe(true);
    expect(action?.why).toBe("Stopping an endpoint needs CAN_MANAGE; you have CAN_QUERY");
    const start = powerAction(snapshotFixture({ ...stopped, permission_level: null }));
    expect(start?.why).toBe("Starting an endpoint needs CAN_MANAGE; you have no permission");
  });

  it("waits for a running update to end", () => {
    const action = powerAction(
      snapshotFixture({
        state: "Not ready (updating)",
        config_update: "IN_PROGRESS",
        permission_level: "CAN_MANAGE",
      }),
    );
    expect(action).toMatchObject({ action: "stop", disabled: true });
    expect(action?.why).toContain("An update is in progress");
  });

  it("does not stop an endpoint that serves an external model", () => {
    const base = snapshotFixture({ permission_level: "CAN_MANAGE" });
    const config = base.config;
    if (config === null) throw new Error("the fixture has a config");
    const external = {
      ...config,
      entities: config.entities.map((e) => ({ ...e, external: true })),
    };
    const action = powerAction({ ...base, config: external });
    expect(action?.why).toBe("Only endpoints that serve custom models can be stopped");
  });

  it("offers nothing before the first read, without a config, or once deleted", () => {
    expect(powerAction(snapshotFixture({ state: null }))).toBeNull();
    expect(powerAction(snapshotFixture({ ...stopped, config: null }))).toBeNull();
    expect(powerAction(snapshotFixture({ deleted: true }))).toBeNull();
  });
});
