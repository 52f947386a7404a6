import { describe, expect, it } from "vitest";
import {
  chunkText,
  DEFAULT_HISTORY_LIMIT,
  normalizeHistory,
  normalizePrefill,
  normalizeSend,
  normalizeSnippets,
} from "./types";

describe("query replies", () => {
  it("reads a send's result, its entry included", () => {
    const got = normalizeSend({
      status: 400,
      latency_ms: 12.5,
      served_entity: null,
      body: { error_code: "BAD_REQUEST", message: "no x" },
      streamed: false,
      stream_error: null,
      entry: { id: 3, at: 1, target: "ads1-2", request: { a: 1 }, status: 400, latency_ms: 12.5 },
    });
    expect(got.status).toBe(400);
    expect(got.servedEntity).toBeNull();
    expect(got.entry).toMatchObject({
      id: 3,
      target: "ads1-2",
      request: { a: 1 },
      streamed: false,
    });
  });

  it("survives partial or odd answers", () => {
    expect(normalizeSend(null)).toMatchObject({ status: null, entry: null, streamed: false });
    expect(normalizePrefill("x")).toEqual({ request: null, source: "skeleton", note: "" });
    expect(normalizeHistory({ entries: [{ id: 1 }, { id: 2, request: {} }, 7] })).toEqual({
      entries: [expect.objectContaining({ id: 2 })],
      limit: DEFAULT_HISTORY_LIMIT,
    });
    expect(normalizeHistory({ entries: [], limit: 0 }).limit).toBe(DEFAULT_HISTORY_LIMIT);
    expect(normalizeHistory({ entries: [], limit: 20 }).limit).toBe(20);
    expect(normalizeSnippets({ curl: "curl …", sql: 3, cli: "databricks …" })).toEqual({
      curl: "curl …",
      cli: "databricks …",
    });
  });

  it("writes a chat chunk's text, a completion's text, or else the chunk as JSON", () => {
    expect(chunkText({ index: 0, chunk: { choices: [{ delta: { content: " b" } }] } })).toBe(" b");
    expect(chunkText({ index: 0, chunk: { choices: [{ text: "t" }] } })).toBe("t");
    expect(chunkText({ index: 0, chunk: { predictions: [1] } })).toBe('{"predictions":[1]}\n');
  });
});
