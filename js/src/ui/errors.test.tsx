import { render } from "preact";
import { describe, expect, it } from "vitest";
import { RpcFailure } from "../bridge/rpc";
import { ErrorLine, errorFromWire, errorTag, toErrorView } from "./errors";

describe("toErrorView", () => {
  it("reads an RpcFailure", () => {
    const failure = new RpcFailure({ message: "no", errorCode: "PERMISSION_DENIED", status: 403 });
    expect(toErrorView(failure)).toEqual({
      message: "no",
      errorCode: "PERMISSION_DENIED",
      status: 403,
    });
  });

  it("reads a wire error object, as Python sends it", () => {
    const wire = { message: "gone", error_code: "RESOURCE_DOES_NOT_EXIST", status: 404 };
    expect(toErrorView(wire)).toEqual({
      message: "gone",
      errorCode: "RESOURCE_DOES_NOT_EXIST",
      status: 404,
    });
  });

  it("reads any other Error or value", () => {
    expect(toErrorView(new Error("timeout"))).toEqual({
      message: "timeout",
      errorCode: undefined,
      status: undefined,
    });
    expect(toErrorView("text")).toEqual({
      message: "text",
      errorCode: undefined,
      status: undefined,
    });
  });
});

describe("errorFromWire", () => {
  it("fills what is missing and drops what has the wrong type", () => {
    expect(errorFromWire({ error_code: "", status: "500" }, "refresh failed")).toEqual({
      message: "refresh failed",
      errorCode: undefined,
      status: undefined,
    });
  });
});

describe("errorTag", () => {
  const error = { message: "m", errorCode: "PERMISSION_DENIED", status: 403 };
  it("writes the code and status as a tag or as an aside", () => {
    expect(errorTag(error)).toBe("PERMISSION_DENIED · 403");
    expect(errorTag(error, "aside")).toBe("(PERMISSION_DENIED, 403)");
    expect(errorTag({ message: "m", errorCode: undefined, status: 0 })).toBe("");
  });
});

describe("ErrorLine", () => {
  it("renders message and code as text, never as HTML", () => {
    const payload = '<img src=x onerror="window.__pwned=1">';
    const el = document.createElement("div");
    render(<ErrorLine error={{ message: payload, errorCode: payload, status: 500 }} />, el);
    expect(el.querySelector("img")).toBeNull();
    expect(el.textContent).toBe(`${payload}${payload} · 500`);
    render(null, el);
  });
});
