import { describe, expect, it } from "vitest";
import { configFixture, entityFixture } from "../../test/fake-model";
import { logChoices, reconcile, withVersion } from "./targets";

const current = configFixture({
  version: 3,
  entities: [entityFixture({ name: "ads1-1" }), entityFixture({ name: "ads1-2" })],
});
const pending = configFixture({
  version: 4,
  entities: [entityFixture({ name: "ads1-2" }), entityFixture({ name: "ads1-3" })],
});

describe("logChoices", () => {
  it("offers the union of current and pending entities, labelled with their configs", () => {
    const choices = logChoices({ config: current, pending });
    expect(choices.entities.map((e) => e.label)).toEqual([
      "ads1-1 (v3)",
      "ads1-2 (v3, pending v4)",
      "ads1-3 (pending v4)",
    ]);
    expect(choices.versions.map((v) => v.label)).toEqual(["v3 (current)", "v4 (pending)"]);
    expect(choices.versions[1]?.entities).toEqual(["ads1-2", "ads1-3"]);
  });

  it("offers nothing before the endpoint is read", () => {
    expect(logChoices({ config: null, pending: null })).toEqual({ entities: [], versions: [] });
  });
});

describe("reconcile", () => {
  const choices = logChoices({ config: current, pending });

  it("starts on the first entity in its first config", () => {
    expect(reconcile(null, choices)).toEqual({ entity: "ads1-1", version: 3 });
  });

  it("keeps a selection that exists, and moves an entity to a version it is in", () => {
    expect(reconcile({ entity: "ads1-2", version: 4 }, choices)).toEqual({
      entity: "ads1-2",
      version: 4,
    });
    expect(reconcile({ entity: "ads1-3", version: 3 }, choices)).toEqual({
      entity: "ads1-3",
      version: 4,
    });
    expect(reconcile({ entity: "gone-1", version: 2 }, choices)).toEqual({
      entity: "ads1-1",
      version: 3,
    });
  });

  it("keeps the entity when the picked version has it, else takes that version's first", () => {
    expect(withVersion({ entity: "ads1-2", version: 3 }, 4, choices)).toEqual({
      entity: "ads1-2",
      version: 4,
    });
    expect(withVersion({ entity: "ads1-1", version: 3 }, 4, choices)).toEqual({
      entity: "ads1-2",
      version: 4,
    });
  });

  it("follows a pending config that became the current one", () => {
    const after = logChoices({ config: { ...pending }, pending: null });
    expect(reconcile({ entity: "ads1-3", version: 4 }, after)).toEqual({
      entity: "ads1-3",
      version: 4,
    });
    expect(after.entities.map((e) => e.label)).toEqual(["ads1-2 (v4)", "ads1-3 (v4)"]);
  });
});
