/**
 * The Query tab's replies, as serving_panel/panel/query.py sends them, read without trusting
 * their shape (bridge/wire.ts): `query.prefill`, `query.send`, `query.history`,
 * `query.snippets`, and the partial messages of a streamed send. Every string in them may come
 * from the server or the model: views render them as text.
 */
import { fields, isObject, list, num, str, strOrNull } from "../bridge/wire";

export type Prefill = {
  request: Record<string, unknown> | null;
  source: "openapi" | "history" | "skeleton" | string;
  note: string;
};

export type HistoryEntry = {
  id: number;
  at: number | null;
  /** The entity asked for; null for the endpoint (its traffic split). */
  target: string | null;
  request: Record<string, unknown>;
  status: number | null;
  latencyMs: number | null;
  servedEntity: string | null;
  streamed: boolean;
};

export type SendResult = {
  status: number | null;
  latencyMs: number | null;
  /** The entity that answered (the `served-model-name` header). */
  servedEntity: string | null;
  body: unknown;
  streamed: boolean;
  streamError: string | null;
  entry: HistoryEntry | null;
};

/** Snippet keys in the Copy-as menu's order, with their labels. */
export const SNIPPETS = [
  ["curl", "curl"],
  ["serving_client", "ServingClient"],
  ["sdk", "databricks-sdk"],
  ["cli", "Databricks CLI"],
  ["sql", "SQL ai_query"],
] as const;

export type SnippetKey = (typeof SNIPPETS)[number][0];

export function normalizePrefill(raw: unknown): Prefill {
  const p = fields(raw);
  return {
    request: isObject(p.request) ? p.request : null,
    source: str(p.source, "skeleton"),
    note: str(p.note),
  };
}

export function normalizeEntry(raw: unknown): HistoryEntry | null {
  const e = fields(raw);
  const id = num(e.id);
  if (id === null || !isObject(e.request)) return null;
  return {
    id,
    at: num(e.at),
    target: strOrNull(e.target),
    request: e.request,
    status: num(e.status),
    latencyMs: num(e.latency_ms),
    servedEntity: strOrNull(e.served_entity),
    streamed: e.streamed === true,
  };
}

/** How many sends the history keeps when the kernel does not say (it does: `limit`). */
export const DEFAULT_HISTORY_LIMIT = 50;

export type QueryHistory = { entries: HistoryEntry[]; limit: number };

/** `query.history`: the session's sends, oldest first, and how many the kernel keeps (the
 * tab keeps no more than that as its own sends add to the list). */
export function normalizeHistory(raw: unknown): QueryHistory {
  const r = fields(raw);
  const limit = num(r.limit);
  return {
    entries: list(r.entries)
      .map(normalizeEntry)
      .filter((entry): entry is HistoryEntry => entry !== null),
    limit: limit !== null && Number.isInteger(limit) && limit > 0 ? limit : DEFAULT_HISTORY_LIMIT,
  };
}

export function normalizeSend(raw: unknown): SendResult {
  const r = fields(raw);
  return {
    status: num(r.status),
    latencyMs: num(r.latency_ms),
    servedEntity: strOrNull(r.served_entity),
    body: r.body,
    streamed: r.streamed === true,
    streamError: strOrNull(r.stream_error),
    entry: normalizeEntry(r.entry),
  };
}

export function normalizeSnippets(raw: unknown): Partial<Record<SnippetKey, string>> {
  const s = fields(raw);
  const out: Partial<Record<SnippetKey, string>> = {};
  for (const [key] of SNIPPETS) if (typeof s[key] === "string") out[key] = s[key];
  return out;
}

/**
 * What one streamed chunk adds to the output: a chat or completion chunk's text
 * (`choices[0].delta.content`, `choices[0].text`), else the chunk as one line of JSON.
 */
export function chunkText(raw: unknown): string {
  const data = fields(raw);
  const chunk = data.chunk;
  const choice = fields(list(fields(chunk).choices)[0]);
  const content = fields(choice.delta).content;
  if (typeof content === "string") return content;
  if (typeof choice.text === "string") return choice.text;
  return `${typeof chunk === "string" ? chunk : JSON.stringify(chunk)}\n`;
}
