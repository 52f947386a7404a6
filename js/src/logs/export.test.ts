import { afterEach, describe, expect, it, vi } from "vitest";
import { LogBuffer } from "./buffer";
import { formatLines, logFileName, saveText } from "./export";
import { levelView } from "./filter";
import { ERROR } from "./types";

afterEach(() => {
  vi.unstubAllGlobals();
});

const T = Date.UTC(2026, 10, 24, 20, 13, 0, 123);

function buffer(): LogBuffer {
  const b = new LogBuffer();
  b.append([
    [1, T, "INFO", "build started", false],
    [2, T, "ERROR", "model failed to load", false],
    [3, T, "ERROR", "Traceback (most recent call last):", true],
    [4, null, null, "plain output", false],
    [5, null, "WARNING", "no timestamp", false],
  ]);
  return b;
}

describe("formatLines", () => {
  it("writes prefixed lines in the local workspace's format and the rest as they were", () => {
    expect(formatLines(buffer(), null)).toBe(
      [
        "2026-11-24T20:13:00.123Z INFO build started",
        "2026-11-24T20:13:00.123Z ERROR model failed to load",
        "Traceback (most recent call last):",
        "plain output",
        "WARNING no timestamp",
        "",
      ].join("\n"),
    );
  });

  it("writes only the lines of a view", () => {
    const b = buffer();
    expect(formatLines(b, levelView(b.rank, b.length, ERROR))).toBe(
      "2026-11-24T20:13:00.123Z ERROR model failed to load\nTraceback (most recent call last):\n",
    );
    expect(formatLines(new LogBuffer(), null)).toBe("");
  });
});

describe("logFileName", () => {
  it("names the endpoint, entity, kind and version", () => {
    expect(logFileName("ads-endpoint", "ads1-2", "build", 4)).toBe(
      "ads-endpoint-ads1-2-build-v4.log",
    );
    expect(logFileName("a/b", "c d", "server", null)).toBe("a_b-c_d-server-current.log");
  });
});

describe("saveText", () => {
  it("clicks a download link to an object URL of the text, then revokes the URL", async () => {
    const blobs: Blob[] = [];
    const create = vi.fn((blob: Blob) => {
      blobs.push(blob);
      return "blob:log-1";
    });
    const revoke = vi.fn();
    vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: create, revokeObjectURL: revoke }));
    const clicked: Array<{ href: string; download: string }> = [];
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (
      this: HTMLAnchorElement,
    ) {
      clicked.push({ href: this.href, download: this.download });
    });
    const parent = document.createElement("div");
    saveText(parent, "x.log", "a\nb\n");
    expect(click).toHaveBeenCalledOnce();
    expect(clicked).toEqual([{ href: "blob:log-1", download: "x.log" }]);
    expect(revoke).toHaveBeenCalledWith("blob:log-1");
    expect(parent.childElementCount).toBe(0);
    expect(await blobs[0]?.text()).toBe("a\nb\n");
  });
});
