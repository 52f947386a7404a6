/**
 * The contract between the panel's two sides, checked on what Python really sends:
 * test/fixtures/wire.json is one panel session recorded against a live local workspace
 * (tests/widget/test_wire_fixture.py records it and fails when Python's messages change shape).
 *
 * Each normalizer must carry every field Python sent, as it was sent, except the one deliberate
 * change of the view: an error's `error_code` becomes `errorCode` (ui/errors.tsx). A field that
 * Python renames, adds or drops, or that a normalizer reads under another name or leaves out,
 * fails here.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { readText } from "../test/files";
import { normalizeDeleteSummary } from "./delete/summary";
import { normalizeFollow, normalizePage } from "./logs/types";
import { normalizeSample, type SampleReply } from "./metrics/data";
import { normalizeHello, normalizeSnapshot } from "./model";
import { normalizeAclPreview, normalizeAclRead, normalizeLookup } from "./permissions/types";
import { errorFromWire } from "./ui/errors";

type Recorded = Record<string, unknown>;

const NORMALIZERS: Record<string, (raw: unknown) => unknown> = {
  snapshot: (raw) => normalizeSnapshot(raw),
  "snapshot.deleted": (raw) => normalizeSnapshot(raw),
  "snapshot.refresh_failed": (raw) => normalizeSnapshot(raw),
  hello: normalizeHello,
  "logs.page": normalizePage,
  "logs.follow": normalizeFollow,
  "acl.read": normalizeAclRead,
  "acl.apply": normalizeAclRead,
  "acl.preview": normalizeAclPreview,
  "principals.lookup": normalizeLookup,
  "delete.summary": normalizeDeleteSummary,
  "delete.confirm": (raw) => raw, // `{deleted: true}` is only awaited, never read
  "metrics.sample": (raw) => sampleAsSent(normalizeSample(raw)),
  error: (raw) => errorFromWire(raw),
};

/** A read `metrics.sample` answer back in Python's field names (the view keeps columns in Maps). */
function sampleAsSent(reply: SampleReply): unknown {
  return {
    interval_s: reply.intervalS,
    history_s: reply.historyS,
    started_at: reply.startedAt,
    last: reply.last,
    reset: reply.reset,
    times: reply.times,
    entities: Object.fromEntries(
      [...reply.entities].map(([name, columns]) => [name, Object.fromEntries(columns)]),
    ),
    window: reply.window,
    error: reply.error,
  };
}

function isWireError(value: unknown): value is { message: unknown; error_code: unknown } {
  return typeof value === "object" && value !== null && "error_code" in value && "message" in value;
}

/** The message as the view should hold it: the same, with each wire error as an ErrorView. */
function asViewed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asViewed);
  if (isWireError(value)) {
    const { error_code, ...rest } = value as Record<string, unknown>;
    return { ...rest, errorCode: error_code };
  }
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, asViewed(item)]));
  }
  return value;
}

let recorded: Recorded;

beforeAll(async () => {
  recorded = JSON.parse(await readText("test/fixtures/wire.json")) as Recorded;
});

describe("what Python sends, as the view reads it", () => {
  it("covers every recorded message", () => {
    expect(Object.keys(NORMALIZERS).sort()).toEqual(Object.keys(recorded).sort());
  });

  for (const [name, normalize] of Object.entries(NORMALIZERS)) {
    it(`${name}: every field arrives, as sent`, () => {
      const raw = recorded[name];
      expect(raw).toBeDefined();
      expect(normalize(raw)).toEqual(asViewed(raw));
    });
  }

  it("the recorded errors are the ones the view tells apart", () => {
    const deleted = normalizeSnapshot(recorded["snapshot.deleted"]);
    expect(deleted.deleted).toBe(true);
    expect(deleted.error?.errorCode).toBe("DELETED");
    const failed = normalizeSnapshot(recorded["snapshot.refresh_failed"]);
    expect(failed.error?.status).toBe(404);
    expect(errorFromWire(recorded.error).errorCode).toBe("INVALID_PARAMETER_VALUE");
  });
});
