import { describe, expect, it } from "vitest";
import { configFixture, entityFixture } from "../../test/fake-model";
import { describeChanges, diffConfigs, trafficOf } from "./diff";

const current = configFixture({
  version: 3,
  entities: [
    entityFixture({ name: "ads1-1", version: "1", traffic: 90 }),
    entityFixture({ name: "ads1-2", version: "1", traffic: 10 }),
  ],
});

describe("diffConfigs", () => {
  it("finds nothing when the pending config serves the same things", () => {
    const diff = diffConfigs(current, { ...current, version: 4 });
    expect(diff.entities).toEqual([]);
    expect(diff.trafficChanged).toBe(false);
    expect(describeChanges(diff)).toEqual([]);
  });

  it("reports a version change and a traffic change per entity", () => {
    const pending = configFixture({
      version: 4,
      entities: [
        entityFixture({ name: "ads1-1", version: "1", traffic: 80 }),
        entityFixture({ name: "ads1-2", version: "2", traffic: 20 }),
      ],
    });
    const diff = diffConfigs(current, pending);
    expect(diff.trafficChanged).toBe(true);
    expect(diff.entities).toEqual([
      { kind: "changed", name: "ads1-1", changes: [{ field: "traffic", from: 90, to: 80 }] },
      {
        kind: "changed",
        name: "ads1-2",
        changes: [
          { field: "version", from: "1", to: "2" },
          { field: "traffic", from: 10, to: 20 },
        ],
      },
    ]);
    expect([...(diff.changedFields.get("ads1-2") ?? [])]).toEqual(["version", "traffic"]);
    expect(describeChanges(diff)).toEqual([
      "ads1-1: traffic 90% → 80%",
      "ads1-2: version 1 → 2, traffic 10% → 20%",
    ]);
  });

  it("reports added and removed entities", () => {
    const pending = configFixture({
      entities: [
        entityFixture({ name: "ads1-1", traffic: 90 }),
        entityFixture({ name: "ads1-3", entity: "ads3", version: "7", traffic: 10 }),
      ],
    });
    const diff = diffConfigs(current, pending);
    expect([...diff.added]).toEqual(["ads1-3"]);
    expect([...diff.removed]).toEqual(["ads1-2"]);
    expect(diff.entities.map((c) => [c.kind, c.name])).toEqual([
      ["added", "ads1-3"],
      ["removed", "ads1-2"],
    ]);
    expect(describeChanges(diff)).toEqual(["ads1-3 added", "ads1-2 removed"]);
    // Same split by percentage, different entity: the routes changed.
    expect(diff.trafficChanged).toBe(true);
  });

  it("reports workload size, type, scale-to-zero and entity changes", () => {
    const pending = configFixture({
      entities: [
        entityFixture({
          name: "ads1-1",
          entity: "ads9",
          workload_size: "Medium",
          workload_type: "GPU_SMALL",
          scale_to_zero: true,
          traffic: 90,
        }),
        entityFixture({ name: "ads1-2", version: "1", traffic: 10 }),
      ],
    });
    const diff = diffConfigs(current, pending);
    expect(diff.entities).toEqual([
      {
        kind: "changed",
        name: "ads1-1",
        changes: [
          { field: "entity", from: "ads1", to: "ads9" },
          { field: "workload_size", from: "Small", to: "Medium" },
          { field: "workload_type", from: "CPU", to: "GPU_SMALL" },
          { field: "scale_to_zero", from: false, to: true },
        ],
      },
    ]);
    expect(describeChanges(diff)).toEqual([
      "ads1-1: entity ads1 → ads9, size Small → Medium, type CPU → GPU_SMALL, scale to zero off → on",
    ]);
  });

  it("treats everything as added when there is no current config", () => {
    const diff = diffConfigs(null, current);
    expect(diff.entities.map((c) => c.kind)).toEqual(["added", "added"]);
    expect(diff.trafficChanged).toBe(true);
  });

  it("counts an unrouted entity as 0% and ignores 0% routes", () => {
    const a = configFixture({
      entities: [
        entityFixture({ name: "x", traffic: 100 }),
        entityFixture({ name: "y", traffic: null }),
      ],
    });
    const b = { ...a, routes: [...a.routes, { entity: "y", percentage: 0 }] };
    expect(trafficOf(a, "y")).toBeNull();
    const diff = diffConfigs(a, b);
    expect(diff.entities).toEqual([]);
    expect(diff.trafficChanged).toBe(false);
  });
});
