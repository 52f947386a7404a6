import { describe, expect, it } from "vitest";
import {
  addedRows,
  addProblem,
  lockedReason,
  NOTHING_STAGED,
  prune,
  rowMark,
  stage,
  unstage,
  wireChanges,
} from "./staging";
import type { AclRead, AclRow } from "./types";

const row = (overrides: Partial<AclRow>): AclRow => ({
  kind: "user",
  name: "bob@example.com",
  display_name: null,
  level: "CAN_QUERY",
  inherited: false,
  inherited_from: [],
  ...overrides,
});

const READ: AclRead = {
  rows: [
    row({ name: "ann@example.com", level: "CAN_MANAGE" }),
    row({}),
    row({
      kind: "group",
      name: "admins",
      level: "CAN_MANAGE",
      inherited: true,
      inherited_from: ["/serving-endpoints/"],
    }),
  ],
  direct: [
    { kind: "user", name: "ann@example.com", level: "CAN_MANAGE" },
    { kind: "user", name: "bob@example.com", level: "CAN_QUERY" },
  ],
  fingerprint: "f1",
  endpoint_id: "e1",
  caller: null,
  levels: ["CAN_VIEW", "CAN_QUERY", "CAN_MANAGE"],
};

const bob = { kind: "user" as const, name: "bob@example.com", display_name: null };

describe("staging", () => {
  it("keeps only changes that change something", () => {
    let staged = stage(NOTHING_STAGED, READ, { ...bob, level: "CAN_VIEW" });
    expect(wireChanges(staged)).toEqual([
      { kind: "user", name: "bob@example.com", level: "CAN_VIEW" },
    ]);
    staged = stage(staged, READ, { ...bob, level: "CAN_QUERY" });
    expect(staged.size).toBe(0);
    staged = stage(staged, READ, {
      kind: "user",
      name: "x@example.com",
      level: null,
      display_name: null,
    });
    expect(staged.size).toBe(0); // nothing to remove
  });

  it("marks rows changed, removed or unchanged; inherited rows never", () => {
    const changed = stage(NOTHING_STAGED, READ, { ...bob, level: "CAN_MANAGE" });
    expect(rowMark(row({}), changed)).toEqual({ mark: "changed", level: "CAN_MANAGE" });
    const removed = stage(NOTHING_STAGED, READ, { ...bob, level: null });
    expect(rowMark(row({}), removed)).toEqual({ mark: "removed", level: "CAN_QUERY" });
    expect(rowMark(row({ inherited: true }), removed).mark).toBe("unchanged");
    expect(unstage(removed, bob).size).toBe(0);
  });

  it("lists additions apart from changes to direct grants", () => {
    let staged = stage(NOTHING_STAGED, READ, { ...bob, level: "CAN_VIEW" });
    staged = stage(staged, READ, {
      kind: "group",
      name: "data",
      level: "CAN_QUERY",
      display_name: null,
    });
    expect(addedRows(staged, READ).map((c) => c.name)).toEqual(["data"]);
  });

  it("prunes what a reload made pointless and keeps the rest", () => {
    let staged = stage(NOTHING_STAGED, READ, { ...bob, level: "CAN_VIEW" });
    staged = stage(staged, READ, {
      kind: "user",
      name: "ann@example.com",
      level: null,
      display_name: null,
    });
    const reread: AclRead = {
      ...READ,
      direct: [
        { kind: "user", name: "ann@example.com", level: "CAN_MANAGE" },
        { ...bob, level: "CAN_VIEW" },
      ],
    };
    expect(wireChanges(prune(staged, reread))).toEqual([
      { kind: "user", name: "ann@example.com", level: null },
    ]);
    expect(prune(staged, READ)).toBe(staged);
  });

  it("says why rows are locked and why an addition can't be made", () => {
    expect(lockedReason(READ.rows[2] as AclRow)).toContain("Inherited from /serving-endpoints/");
    expect(lockedReason(row({ kind: "group", name: "admins" }))).toContain("admins group");
    expect(lockedReason(row({}))).toBeNull();
    expect(addProblem({ kind: "user", name: " " }, "CAN_VIEW", READ, NOTHING_STAGED)).toContain(
      "Type",
    );
    expect(
      addProblem({ kind: "group", name: "admins" }, "CAN_VIEW", READ, NOTHING_STAGED),
    ).toContain("admins group");
    expect(addProblem(bob, "CAN_QUERY", READ, NOTHING_STAGED)).toBe(
      "user bob@example.com already holds CAN_QUERY directly.",
    );
    const removing = stage(NOTHING_STAGED, READ, { ...bob, level: null });
    expect(addProblem(bob, "CAN_QUERY", READ, removing)).toBeNull(); // undoes the removal
    expect(addProblem(bob, "CAN_MANAGE", READ, NOTHING_STAGED)).toBeNull();
  });
});
