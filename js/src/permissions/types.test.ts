import { describe, expect, it } from "vitest";
import { normalizeAclPreview, normalizeAclRead, normalizeLookup } from "./types";

describe("normalizeAclRead", () => {
  it("keeps a complete read as it is", () => {
    const raw = {
      rows: [
        {
          kind: "user",
          name: "ada@example.com",
          display_name: "Ada",
          level: "CAN_MANAGE",
          inherited: false,
          inherited_from: [],
        },
        {
          kind: "group",
          name: "admins",
          display_name: null,
          level: "CAN_MANAGE",
          inherited: true,
          inherited_from: ["/serving-endpoints"],
        },
      ],
      direct: [{ kind: "user", name: "ada@example.com", level: "CAN_MANAGE" }],
      fingerprint: "fp-1",
      endpoint_id: "ep-1",
      caller: { kind: "user", name: "ada@example.com" },
      levels: ["CAN_VIEW", "CAN_QUERY", "CAN_MANAGE"],
    };
    expect(normalizeAclRead(structuredClone(raw))).toEqual(raw);
  });

  it("fills what is missing and drops principals of a kind it cannot address", () => {
    expect(normalizeAclRead({ rows: [{ kind: "robot", name: "r2" }, { kind: "user" }] })).toEqual({
      rows: [
        {
          kind: "user",
          name: "",
          display_name: null,
          level: "",
          inherited: false,
          inherited_from: [],
        },
      ],
      direct: [],
      fingerprint: "",
      endpoint_id: "",
      caller: null,
      levels: [],
    });
  });
});

describe("normalizeAclPreview", () => {
  it("keeps a complete preview and defaults a partial one", () => {
    const raw = {
      method: "PATCH",
      body: { access_control_list: [] },
      describe: "PATCH /api/2.0/permissions/serving-endpoints/ep-1",
      changes: [
        { kind: "user", name: "bob", before: null, after: "CAN_QUERY", kind_of_change: "grant" },
      ],
      warnings: ["w"],
      lockout_warnings: [],
      stale: false,
      fingerprint: "fp-1",
      snippets: { curl: "curl -X PATCH ...", sdk: "w.serving_endpoints.update_permissions(...)" },
    };
    expect(normalizeAclPreview(structuredClone(raw))).toEqual(raw);
    expect(normalizeAclPreview({ method: "DELETE", stale: true })).toMatchObject({
      method: null,
      body: null,
      changes: [],
      stale: true,
    });
  });
});

describe("normalizeLookup", () => {
  it("keeps hits of known kinds, and says whether lookup is available", () => {
    expect(
      normalizeLookup({
        results: [
          { kind: "group", name: "data-eng", display_name: "Data Eng" },
          { kind: "alien", name: "x", display_name: "X" },
        ],
        available: true,
      }),
    ).toEqual({
      results: [{ kind: "group", name: "data-eng", display_name: "Data Eng" }],
      available: true,
    });
    expect(normalizeLookup({ available: false })).toEqual({ results: [], available: false });
  });
});
