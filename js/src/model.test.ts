import { describe, expect, it } from "vitest";
import { snapshotFixture, wireSnapshot } from "../test/fake-model";
import { deploymentTone, normalizeHello, normalizeSnapshot, stateTone, UI_STATES } from "./model";

describe("normalizeSnapshot", () => {
  it("keeps a complete snapshot as it is", () => {
    const snapshot = snapshotFixture({
      pending: snapshotFixture().config,
      tags: [{ key: "team", value: null }],
      error: { message: "m", errorCode: "PERMISSION_DENIED", status: 403 },
    });
    expect(normalizeSnapshot(structuredClone(wireSnapshot(snapshot)))).toEqual(snapshot);
  });

  it("fills a partial snapshot (a hand-set trait, an old saved notebook) with defaults", () => {
    const snapshot = normalizeSnapshot({ name: "ads-endpoint", revision: 7 });
    expect(snapshot).toMatchObject({
      name: "ads-endpoint",
      revision: 7,
      state: null,
      config: null,
      pending: null,
      tags: [],
      error: null,
      description: "",
    });
  });

  it("survives junk without throwing", () => {
    expect(normalizeSnapshot(undefined, "fallback").name).toBe("fallback");
    expect(normalizeSnapshot([1, 2]).revision).toBe(0);
    const odd = normalizeSnapshot({
      revision: "3",
      updated: 1e300,
      fetched_at: Number.NaN,
      tags: ["x", { key: "k", value: 5 }],
      config: { entities: [null, { name: "a", scale_to_zero: "yes" }], routes: "nope" },
      error: { status: "403" },
    });
    expect(odd.revision).toBe(0);
    expect(odd.updated).toBeNull();
    expect(odd.fetched_at).toBeNull();
    expect(odd.tags).toEqual([{ key: "k", value: "5" }]);
    expect(odd.config?.entities.map((e) => [e.name, e.scale_to_zero])).toEqual([
      ["", null],
      ["a", null],
    ]);
    expect(odd.config?.routes).toEqual([]);
    expect(odd.error).toEqual({
      message: "refresh failed",
      errorCode: undefined,
      status: undefined,
    });
  });
});

describe("the snapshot's error", () => {
  it("arrives in the wire form and is read once into an ErrorView", () => {
    const wire = { message: "m", error_code: "PERMISSION_DENIED", status: 403 };
    expect(normalizeSnapshot({ error: wire }).error).toEqual({
      message: "m",
      errorCode: "PERMISSION_DENIED",
      status: 403,
    });
  });
});

describe("tones", () => {
  it("gives each UI state its colour family", () => {
    expect(UI_STATES.map(stateTone)).toEqual(["ready", "failed", "updating", "failed", "stopped"]);
    expect(stateTone(null)).toBe("unknown");
  });

  it("gives each deployment state its colour family", () => {
    expect(
      [
        "DEPLOYMENT_READY",
        "DEPLOYMENT_CREATING",
        "DEPLOYMENT_RECOVERING",
        "DEPLOYMENT_FAILED",
        "DEPLOYMENT_ABORTED",
        null,
      ].map(deploymentTone),
    ).toEqual(["ready", "updating", "updating", "failed", "stopped", "unknown"]);
  });
});

describe("normalizeHello", () => {
  it("reads the version, and says unknown without one", () => {
    expect(normalizeHello({ version: "1.2.3" })).toEqual({ version: "1.2.3" });
    expect(normalizeHello(null)).toEqual({ version: "unknown" });
  });
});

describe("normalizeSnapshot's triage", () => {
  it("keeps well-formed diagnoses and drops junk", () => {
    const snapshot = normalizeSnapshot({
      name: "a",
      triage: [
        {
          entity: "e",
          config_version: 3,
          cause: "timeout",
          title: "T",
          advice: "A",
          log: "server",
          line: 4,
          lines: [{ log: "server", line: 4, text: "timed out" }, { log: "nonsense", text: 5 }, 7],
        },
        "junk",
      ],
    });
    expect(snapshot.triage).toEqual([
      {
        entity: "e",
        config_version: 3,
        cause: "timeout",
        title: "T",
        advice: "A",
        log: "server",
        line: 4,
        lines: [
          { log: "server", line: 4, text: "timed out" },
          { log: "state", line: null, text: "" },
        ],
      },
    ]);
    expect(normalizeSnapshot({ name: "a" }).triage).toBeUndefined();
  });
});
