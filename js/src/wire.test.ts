/**
 * The contract between the panel's two sides, checked on what Python really sends:
 * test/fixtures/wire.json is one panel session recorded against a live local workspace
 * (tests/widget/test_wire_fixture.py records it and fails when Python's messages change shape).
 *
 * Each normalizer must carry every field Python sent, as it was sent, except the one deliberate
 * change of the view: an error's `error_code` becomes `errorCode` (ui/errors.tsx). A normalizer
 * that renames fields (camelCase) is checked through an adapter back to Python's names
 * (`sampleAsSent` and the like); a field the browser deliberately leaves out is named in
 * IGNORED, one path at a time, with the reason. A field that Python renames, adds or drops, or
 * that a normalizer reads under another name or leaves out, fails here.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { readText } from "../test/files";
import { fields, isObject, str } from "./bridge/wire";
import {
  type Applied,
  type History,
  normalizeApplied,
  normalizeHistory as normalizeConfigHistory,
  normalizePreview,
  normalizeVersions,
  type Preview,
} from "./config/types";
import { normalizeDeleteSummary } from "./delete/summary";
import { normalizeEvents } from "./events/list";
import { normalizeAccess } from "./explorer/access";
import { normalizeWrites, type WriteRow } from "./explorer/grants";
import { normalizeDetailsReply, normalizeListReply } from "./explorer/model";
import { normalizeFollow, normalizePage } from "./logs/types";
import { normalizeSample, type SampleReply } from "./metrics/data";
import { normalizeHello, normalizeSnapshot } from "./model";
import { normalizeAclPreview, normalizeAclRead, normalizeLookup } from "./permissions/types";
import {
  chunkText,
  type HistoryEntry,
  normalizeHistory,
  normalizePrefill,
  normalizeSend,
  normalizeSnippets,
  type SendResult,
} from "./query/types";
import { normalizeRestoreResult } from "./restore/dialog";
import { normalizeSnippets as normalizeCopyAs } from "./ui/copy-as";
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
  "query.prefill": (raw) => normalizePrefill(raw),
  "query.send": (raw) => sendAsSent(normalizeSend(raw)),
  "query.send.streamed": (raw) => sendAsSent(normalizeSend(raw)),
  // The tab hands each partial's chunk whole to chunkText (checked below), as it arrived.
  "query.send.partial": (raw) => ({ chunk: fields(raw).chunk }),
  "query.history": (raw) => {
    const history = normalizeHistory(raw);
    return { entries: history.entries.map(entryAsSent), limit: history.limit };
  },
  "query.snippets": normalizeSnippets,
  "config.history": (raw) => configHistoryAsSent(normalizeConfigHistory(raw)),
  "config.preview": (raw) => previewAsSent(normalizePreview(raw)),
  "config.preview.refused": (raw) => previewAsSent(normalizePreview(raw)),
  "config.apply": (raw) => appliedAsSent(normalizeApplied(raw)),
  "config.versions": normalizeVersions,
  "events.list": normalizeEvents,
  // power/dialog.tsx reads the reply's `snippets` through the shared Copy-as normalizer.
  "power.preview": (raw) => ({ snippets: normalizeCopyAs(fields(raw).snippets) }),
  "restore.run": normalizeRestoreResult,
  "explorer.list": normalizeListReply,
  "explorer.details": normalizeDetailsReply,
  "explorer.open": (raw) => raw, // `{name, state}` is only awaited: the snapshot shows the rest
  "explorer.access": (raw) => ({ endpoints: normalizeAccess(raw) }),
  // grants.tsx reads the plan's id where it keeps the plan, and its rows through normalizeWrites.
  "explorer.grants.preview": (raw) => ({
    plan_id: str(fields(raw).plan_id),
    writes: normalizeWrites(raw, "writes").map((row) => writeAsSent(row, "status")),
  }),
  "explorer.grants.apply": (raw) => ({
    results: normalizeWrites(raw, "results").map((row) => writeAsSent(row, "outcome")),
  }),
};

/**
 * Fields Python sends that the browser deliberately leaves out, by message and path (`*`: each
 * item of a list), each with the reason. The check drops exactly these from what was sent; each
 * must be in the recorded message (a path Python no longer sends fails the last test).
 */
const IGNORED: Record<string, Record<string, string>> = {
  "query.prefill": {
    permission_level: "the tab reads the caller's level from the synced snapshot, kept current",
    can_query: "the tab decides it from the snapshot's permission_level (query/tab.tsx)",
    needed_level: "the tab's notice names CAN_QUERY itself",
  },
  "query.send": { chunks: "the streamed chunks are the body's items; the view counts none" },
  "query.send.streamed": {
    chunks: "the streamed chunks are the body's items; the view counts none",
  },
  "query.send.partial": { index: "partials arrive in order over one comm; the tab appends them" },
  "restore.run": { endpoint_id: "the report names the endpoint; its id is not shown" },
  "explorer.access": { "endpoints.*.endpoint_id": "the Access view keys endpoints by name" },
  "explorer.grants.preview": {
    principal: "the plan's heading is made from the form that asked for it",
    level: "the plan's heading is made from the form that asked for it",
    "writes.*.endpoint_id": "rows are keyed by endpoint name; the path holds the id",
    "writes.*.error_code": "the row shows the status and the message, which names the code",
  },
  "explorer.grants.apply": {
    ok: "each row shows its own outcome",
    "results.*.endpoint_id": "rows are keyed by endpoint name; the path holds the id",
    "results.*.error_code": "the row shows the outcome and the message, which names the code",
    "results.*.sent": "the outcome says what happened (a refusal sends nothing)",
  },
};

/** `value` without the field at `path` (dot-separated; `*` for each item of a list). */
function without(value: unknown, path: string[]): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  if (head === "*" && Array.isArray(value)) return value.map((item) => without(item, rest));
  if (!isObject(value) || !(head in value)) return value;
  if (rest.length === 0) {
    const { [head]: _dropped, ...kept } = value;
    return kept;
  }
  return { ...value, [head]: without(value[head], rest) };
}

/** Whether the field at `path` is in `value` (in at least one item of a list). */
function has(value: unknown, path: string[]): boolean {
  const [head, ...rest] = path;
  if (head === undefined) return true;
  if (head === "*") return Array.isArray(value) && value.some((item) => has(item, rest));
  return isObject(value) && head in value && has(value[head], rest);
}

/** What the view should hold of a recorded message: all of it but the fields in IGNORED. */
function expected(name: string, raw: unknown): unknown {
  let kept = raw;
  for (const path of Object.keys(IGNORED[name] ?? {})) kept = without(kept, path.split("."));
  return asViewed(kept);
}

function entryAsSent(entry: HistoryEntry | null): unknown {
  if (entry === null) return null;
  return {
    id: entry.id,
    at: entry.at,
    target: entry.target,
    request: entry.request,
    status: entry.status,
    latency_ms: entry.latencyMs,
    served_entity: entry.servedEntity,
    streamed: entry.streamed,
  };
}

function sendAsSent(reply: SendResult): unknown {
  return {
    status: reply.status,
    latency_ms: reply.latencyMs,
    served_entity: reply.servedEntity,
    body: reply.body,
    streamed: reply.streamed,
    stream_error: reply.streamError,
    entry: entryAsSent(reply.entry),
  };
}

function previewAsSent(preview: Preview): unknown {
  return {
    preview_id: preview.previewId,
    kind: preview.kind,
    base_version: preview.baseVersion,
    body: preview.body,
    changes: preview.changes,
    snippets: preview.snippets,
    refusals: preview.refusals,
    blocked: preview.blocked,
  };
}

function configHistoryAsSent(history: History): unknown {
  return {
    current: history.current,
    config_update: history.configUpdate,
    targets: history.targets,
  };
}

function appliedAsSent(applied: Applied): unknown {
  return { config_version: applied.configVersion, state: applied.state };
}

/** A grants row back in Python's names: a preview's `status` or a result's `outcome`. */
function writeAsSent(row: WriteRow, field: "status" | "outcome"): unknown {
  const { outcome, ...rest } = row;
  return { ...rest, [field]: outcome };
}

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
      expect(normalize(raw)).toEqual(expected(name, raw));
    });
  }

  it("every field said to be ignored is one Python sends", () => {
    for (const [name, paths] of Object.entries(IGNORED)) {
      expect(NORMALIZERS[name], name).toBeDefined();
      for (const path of Object.keys(paths)) {
        expect(has(recorded[name], path.split(".")), `${name}: ${path}`).toBe(true);
      }
    }
  });

  it("a streamed partial's text is its chunk's content, and the reply's body holds the chunks", () => {
    const partial = fields(recorded["query.send.partial"]);
    const [choice] = fields(partial.chunk).choices as Array<{ delta: { content: string } }>;
    expect(choice?.delta.content).not.toBe("");
    expect(chunkText(partial)).toBe(choice?.delta.content);
    const streamed = normalizeSend(recorded["query.send.streamed"]);
    expect(streamed.streamed).toBe(true);
    expect(streamed.body).toContainEqual(partial.chunk);
  });

  it("the recorded errors are the ones the view tells apart", () => {
    const deleted = normalizeSnapshot(recorded["snapshot.deleted"]);
    expect(deleted.deleted).toBe(true);
    expect(deleted.error?.errorCode).toBe("DELETED");
    const failed = normalizeSnapshot(recorded["snapshot.refresh_failed"]);
    expect(failed.error?.status).toBe(404);
    expect(errorFromWire(recorded.error).errorCode).toBe("INVALID_PARAMETER_VALUE");
  });
});
