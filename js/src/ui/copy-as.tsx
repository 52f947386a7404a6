/**
 * "Copy as": the curl, databricks-sdk and Databricks CLI (and for a query, ServingClient and
 * SQL) equivalents of what the panel is about to send, made in Python by
 * serving_panel/snippets.py and shown here as text. None holds a token: they read
 * $DATABRICKS_HOST and $DATABRICKS_TOKEN. A host without a clipboard shows the snippet to select.
 */
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import { isObject } from "../bridge/wire";
import { copyText } from "./clipboard";

/** How long "copied" stays. */
export const COPIED_MS = 2_500;

const LABELS: Record<string, string> = {
  curl: "curl",
  sdk: "databricks-sdk",
  cli: "Databricks CLI",
  serving_client: "ServingClient",
  sql: "SQL ai_query",
};

/** The snippets of a reply, by kind; anything not a string is dropped. */
export function normalizeSnippets(raw: unknown): Record<string, string> {
  if (!isObject(raw)) return {};
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) if (typeof value === "string") out[key] = value;
  return out;
}

export function CopyAs({
  snippets,
  testId = "copy-as",
}: {
  snippets: Record<string, string>;
  testId?: string;
}) {
  const kinds = Object.keys(snippets).filter((kind) => kind in LABELS);
  const [shown, setShown] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const live = useRef(true);
  useLayoutEffect(() => {
    live.current = true;
    return () => {
      live.current = false;
    };
  }, []);
  useLayoutEffect(() => {
    if (notice === null) return;
    const timer = setTimeout(() => setNotice(null), COPIED_MS);
    return () => clearTimeout(timer);
  }, [notice]);
  if (kinds.length === 0) return null;

  const copy = (kind: string): void => {
    const text = snippets[kind] ?? "";
    setShown(kind);
    copyText(text).then(
      (copied) => {
        if (live.current) setNotice(copied ? `${LABELS[kind]} copied` : "select the text below");
      },
      () => {
        if (live.current) setNotice("could not copy: select the text below");
      },
    );
  };

  return (
    <div class="sp-copy-as" data-testid={testId}>
      <span class="sp-muted">Copy as:</span>
      {kinds.map((kind) => (
        <button
          key={kind}
          type="button"
          class="sp-button sp-copy-as-button"
          data-testid={`${testId}-${kind}`}
          aria-pressed={shown === kind ? "true" : "false"}
          onClick={() => copy(kind)}
        >
          {LABELS[kind]}
        </button>
      ))}
      {notice !== null && (
        <span class="sp-muted" role="status">
          {notice}
        </span>
      )}
      {shown !== null && (
        <pre class="sp-copy-as-text" data-testid={`${testId}-text`}>
          {snippets[shown]}
        </pre>
      )}
    </div>
  );
}
