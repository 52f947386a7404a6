import { describe, expect, it } from "vitest";
import { apiCalls } from "./calls";

const PATH = "/api/2.0/permissions/serving-endpoints/abc";

describe("apiCalls", () => {
  it("keeps the calls and drops the Changes and Warnings sections the dialog lists itself", () => {
    const calls = `PATCH ${PATH}  (merges; other principals untouched)\n{\n  "a": 1\n}`;
    expect(apiCalls(`${calls}\nChanges:\n  + user bob: (none) -> CAN_VIEW`)).toBe(calls);
    expect(apiCalls(`${calls}\nChanges:\n  x\nWarnings:\n  ! y`)).toBe(calls);
  });

  it("keeps a plan without calls, and text without sections, whole", () => {
    const none = "No change: the direct ACL already matches.";
    expect(apiCalls(`${none}\nWarnings:\n  ! y`)).toBe(none);
    expect(apiCalls(`PATCH ${PATH}\n{}`)).toBe(`PATCH ${PATH}\n{}`);
  });

  it("cuts only at a heading on a line of its own, not inside the JSON body", () => {
    const calls = `PATCH ${PATH}\n{\n  "user_name": "Changes:"\n}`;
    expect(apiCalls(calls)).toBe(calls);
  });
});
