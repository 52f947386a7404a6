import { describe, expect, it } from "vitest";
import { explorerRowFixture as rowFixture } from "../../test/explorer-fixtures";
import { countByState, filterRows, NO_FILTERS, sortRows, tagOptions } from "./filter";
import { entitiesLabel, normalizeDetailsReply, normalizeListReply, normalizeRow } from "./model";

const rows = [
  rowFixture({
    name: "b-fraud",
    creator: "bob@example.com",
    state: "Not ready (updating)",
    updating: true,
    updated: 3,
  }),
  rowFixture({ name: "a-ads", tags: [{ key: "team", value: "ads" }], updated: 1 }),
  rowFixture({
    name: "c-chat",
    state: "Ready (update failed)",
    entities: [{ name: "chat-1", entity: "openai/gpt", version: null, state: null }],
    tags: [
      { key: "team", value: "chat" },
      { key: "pii", value: null },
    ],
    updated: 2,
  }),
];

describe("filterRows", () => {
  it("searches names, tags, creators and entity names, every word", () => {
    const names = (query: string) =>
      filterRows(rows, { ...NO_FILTERS, query }, null).map((row) => row.name);
    expect(names("fraud")).toEqual(["b-fraud"]);
    expect(names("team=chat")).toEqual(["c-chat"]);
    expect(names("BOB@")).toEqual(["b-fraud"]);
    expect(names("gpt")).toEqual(["c-chat"]);
    expect(names("team ads")).toEqual(["a-ads"]);
    expect(names("")).toHaveLength(3);
  });

  it("filters by state, by creator (me) and by tag", () => {
    const names = (filters: Partial<typeof NO_FILTERS>, me: string | null = null) =>
      filterRows(rows, { ...NO_FILTERS, ...filters }, me).map((row) => row.name);
    expect(names({ state: "Ready" })).toEqual(["a-ads"]);
    expect(names({ mine: true }, "bob@example.com")).toEqual(["b-fraud"]);
    expect(names({ mine: true }, null)).toEqual([]);
    expect(names({ tag: "pii" })).toEqual(["c-chat"]);
    expect(tagOptions(rows)).toEqual(["pii", "team=ads", "team=chat"]);
  });

  it("keeps only what the caller can manage, once the level is known", () => {
    const levels = [
      rowFixture({ name: "x", permission_level: "CAN_VIEW" }),
      rowFixture({ name: "y", permission_level: null }),
      rowFixture({ name: "z", permission_level: "CAN_MANAGE" }),
      rowFixture({ name: "w", permission_level: "CAN_QUERY" }),
    ];
    const kept = filterRows(levels, { ...NO_FILTERS, manage: true }, null);
    expect(kept.map((row) => row.name)).toEqual(["z"]);
  });
});

describe("sortRows", () => {
  it("sorts by a column either way, empty values last", () => {
    expect(sortRows(rows, { key: "name", descending: false }).map((r) => r.name)).toEqual([
      "a-ads",
      "b-fraud",
      "c-chat",
    ]);
    expect(sortRows(rows, { key: "updated", descending: true }).map((r) => r.name)).toEqual([
      "b-fraud",
      "c-chat",
      "a-ads",
    ]);
    const levels = [
      rowFixture({ name: "x", permission_level: "CAN_VIEW" }),
      rowFixture({ name: "y", permission_level: null }),
      rowFixture({ name: "z", permission_level: "CAN_MANAGE" }),
    ];
    expect(sortRows(levels, { key: "level", descending: true }).map((r) => r.name)).toEqual([
      "z",
      "x",
      "y",
    ]);
  });

  it("counts rows per UI state, in the UI's order", () => {
    expect(countByState(rows)).toEqual([
      { state: "Ready", count: 1 },
      { state: "Ready (update failed)", count: 1 },
      { state: "Not ready (updating)", count: 1 },
    ]);
  });
});

describe("normalize", () => {
  it("reads rows without trusting their shape", () => {
    expect(normalizeRow({})).toBeNull();
    const row = normalizeRow({
      name: "x",
      traffic: [{ entity: "a", percentage: 100 }],
      tags: "no",
    });
    expect(row?.traffic).toEqual([{ entity: "a", percentage: 100 }]);
    expect(row?.tags).toEqual([]);
    expect(normalizeListReply({ rows: [{ name: "x" }, 3], me: "me@x" }).rows).toHaveLength(1);
    const details = normalizeDetailsReply({
      rows: [],
      missing: ["gone", 1],
      errors: [
        {
          name: "x",
          error: { message: "slow", error_code: "REQUEST_LIMIT_EXCEEDED", status: 429 },
        },
      ],
    });
    expect(details.missing).toEqual(["gone"]);
    expect(details.errors[0]?.error.status).toBe(429);
  });

  it("labels entities with their versions, each name once", () => {
    const row = rowFixture({
      entities: [
        { name: "ads1-1", entity: "ads1", version: "1", state: null },
        { name: "ads1-2", entity: "ads1", version: "2", state: null },
        { name: "fraud-3", entity: "fraud", version: "3", state: null },
      ],
    });
    expect(entitiesLabel(row)).toBe("ads1 v1, v2 · fraud v3");
  });
});
