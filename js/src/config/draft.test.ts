import { describe, expect, it } from "vitest";
import { configFixture, entityFixture } from "../../test/fake-model";
import {
  addRow,
  changed,
  type Draft,
  draftFrom,
  isProblem,
  problems,
  promote,
  shift,
  toEdit,
  total,
  updateRow,
} from "./draft";

/** ads1-1 and ads1-2 at 100/0 (or the shares given). */
function twoEntities(first = 100, second = 0): Draft {
  return draftFrom(
    configFixture({
      entities: [
        entityFixture({ name: "ads1-1", version: "1", traffic: first }),
        entityFixture({ name: "ads1-2", version: "2", traffic: second }),
      ],
    }),
  );
}

const shares = (draft: Draft): Record<string, string> =>
  Object.fromEntries(draft.rows.map((r) => [r.name, r.traffic]));

function ok(value: Draft | { field: string; rule: string }): Draft {
  if (isProblem(value)) throw new Error(`${value.field}: ${value.rule}`);
  return value;
}

describe("the draft", () => {
  it("starts as the config, with nothing to send", () => {
    const draft = twoEntities();
    expect(shares(draft)).toEqual({ "ads1-1": "100", "ads1-2": "0" });
    expect(changed(draft)).toBe(false);
    expect(toEdit(draft)).toEqual({});
    expect(problems(draft)).toEqual([]);
  });

  it("names the sum rule in Python's words while the split is not 100", () => {
    const draft = updateRow(twoEntities(), "ads1-1", { traffic: "70" });
    expect(total(draft)).toBe(70);
    expect(problems(draft)).toEqual([
      { field: "traffic", rule: "traffic percentages must add up to 100, got 70" },
    ]);
  });

  it("names each percentage that is not a whole number from 0 to 100", () => {
    let draft = updateRow(twoEntities(), "ads1-1", { traffic: "80.5" });
    draft = updateRow(draft, "ads1-2", { traffic: "120" });
    expect(total(draft)).toBeNull();
    expect(problems(draft)).toEqual([
      { field: "traffic['ads1-1']", rule: 'must be an integer, got "80.5"' },
      { field: "traffic['ads1-2']", rule: "must be between 0 and 100, got 120" },
    ]);
  });

  it("sends only what changed: the traffic when it moves, an entity's changed fields", () => {
    let draft = updateRow(twoEntities(), "ads1-1", { traffic: "80" });
    draft = updateRow(draft, "ads1-2", {
      traffic: "20",
      workloadSize: "Medium",
      scaleToZero: true,
    });
    expect(toEdit(draft)).toEqual({
      traffic: { "ads1-1": 80, "ads1-2": 20 },
      entities: { "ads1-2": { workload_size: "Medium", scale_to_zero_enabled: true } },
    });
    expect(toEdit(updateRow(twoEntities(), "ads1-1", { version: "2" }))).toEqual({
      entities: { "ads1-1": { entity_version: "2" } },
    });
  });

  it("refuses a version that is not a number, naming the field", () => {
    const draft = updateRow(twoEntities(), "ads1-1", { version: "latest" });
    expect(problems(draft)).toEqual([
      {
        field: "entities['ads1-1'].entity_version",
        rule: 'must be a model version number (1, 2, ...), got "latest"',
      },
    ]);
  });

  it("adds an entity at 0% under the default name, and removes one", () => {
    let draft = ok(addRow(twoEntities(), "main.default.sentiment", "1", ""));
    draft = updateRow(draft, "ads1-2", { removed: true });
    draft = updateRow(draft, "ads1-1", { traffic: "90" });
    draft = updateRow(draft, "sentiment-1", { traffic: "10" });
    expect(toEdit(draft)).toEqual({
      traffic: { "ads1-1": 90, "sentiment-1": 10 },
      add: [
        {
          entity_name: "main.default.sentiment",
          entity_version: "1",
          name: "sentiment-1",
          workload_size: "Small",
          scale_to_zero_enabled: false,
        },
      ],
      remove: ["ads1-2"],
    });
    // An added entity that is removed again is simply gone.
    expect(updateRow(draft, "sentiment-1", { removed: true }).rows.map((r) => r.name)).toEqual([
      "ads1-1",
      "ads1-2",
    ]);
  });

  it("refuses an added entity with a bad model, version or a taken name", () => {
    expect(addRow(twoEntities(), "", "1", "")).toMatchObject({ field: "add.entity_name" });
    expect(addRow(twoEntities(), "ads1", "v1", "")).toMatchObject({ field: "add.entity_version" });
    expect(addRow(twoEntities(), "ads1", "2", "")).toMatchObject({
      field: "add.name",
      rule: '"ads1-2" is already a served entity',
    });
    expect(addRow(twoEntities(), "ads1", "2", "a b")).toMatchObject({ field: "add.name" });
  });

  it("keeps at least one entity", () => {
    let draft = updateRow(twoEntities(), "ads1-1", { removed: true });
    draft = updateRow(draft, "ads1-2", { removed: true });
    expect(problems(draft).map((p) => p.field)).toContain("remove");
  });
});

describe("quick actions", () => {
  it("shifts N% to an entity: 100/0 → 80/20", () => {
    expect(shares(ok(shift(twoEntities(), "ads1-2", 20)))).toEqual({
      "ads1-1": "80",
      "ads1-2": "20",
    });
  });

  it("takes from the others in proportion, whole points, at most what they have", () => {
    const three = draftFrom(
      configFixture({
        entities: [
          entityFixture({ name: "a", traffic: 50 }),
          entityFixture({ name: "b", traffic: 25 }),
          entityFixture({ name: "c", traffic: 25 }),
        ],
      }),
    );
    const moved = ok(shift(three, "c", 10));
    expect(shares(moved)).toEqual({ a: "43", b: "22", c: "35" });
    expect(total(moved)).toBe(100);
    expect(shares(ok(shift(three, "c", 90)))).toEqual({ a: "0", b: "0", c: "100" });
  });

  it("refuses a shift while the split does not add up, or by a bad amount", () => {
    const broken = updateRow(twoEntities(), "ads1-1", { traffic: "90" });
    expect(shift(broken, "ads1-2", 10)).toMatchObject({ field: "traffic" });
    expect(shift(twoEntities(), "ads1-2", Number.NaN)).toMatchObject({ field: "shift" });
    expect(shift(twoEntities(), "ads1-1", 10)).toMatchObject({
      rule: "ads1-1 already has all the traffic",
    });
  });

  it("promotes an entity to 100%", () => {
    expect(shares(promote(twoEntities(80, 20), "ads1-2"))).toEqual({
      "ads1-1": "0",
      "ads1-2": "100",
    });
  });
});
