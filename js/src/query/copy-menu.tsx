/**
 * "Copy as": the request as curl, ServingClient, databricks-sdk, the Databricks CLI or SQL
 * `ai_query`, built by Python (serving_panel/snippets.py, `query.snippets`) so the copy is
 * exactly what the kernel would send. No snippet holds a token: they read DATABRICKS_HOST and
 * DATABRICKS_TOKEN. The copied snippet is also shown, as text, for hosts with no clipboard.
 */
import { useState } from "preact/hooks";
import type { Rpc } from "../bridge/rpc";
import { copyText } from "../ui/clipboard";
import { ErrorLine, type ErrorView, toErrorView } from "../ui/errors";
import { normalizeSnippets, SNIPPETS, type SnippetKey } from "./types";

interface CopyMenuProps {
  rpc: Rpc;
  /** The request and target to copy; null while the editor holds no valid request. */
  request: Record<string, unknown> | null;
  target: string | null;
}

export function CopyMenu({ rpc, request, target }: CopyMenuProps) {
  const [open, setOpen] = useState(false);
  const [shown, setShown] = useState<{ label: string; text: string; copied: boolean } | null>(null);
  const [error, setError] = useState<ErrorView | null>(null);

  const copy = async (key: SnippetKey, label: string): Promise<void> => {
    setOpen(false);
    setError(null);
    try {
      const raw = await rpc.request("query.snippets", { request, served_entity: target });
      const text = normalizeSnippets(raw)[key] ?? "";
      const copied = await copyText(text).catch(() => false);
      setShown({ label, text, copied });
    } catch (reason) {
      setError(toErrorView(reason));
    }
  };

  return (
    <div class="sp-query-copy">
      <button
        type="button"
        class="sp-button"
        aria-haspopup="menu"
        aria-expanded={open}
        disabled={request === null}
        data-testid="query-copy"
        onClick={() => setOpen(!open)}
      >
        Copy as ▾
      </button>
      {open && (
        <div role="menu" class="sp-query-menu" data-testid="query-copy-menu">
          {SNIPPETS.map(([key, label]) => (
            <button
              type="button"
              role="menuitem"
              key={key}
              class="sp-query-item"
              data-testid={`query-copy-${key}`}
              onClick={() => void copy(key, label)}
            >
              {label}
            </button>
          ))}
        </div>
      )}
      {error !== null && (
        <p role="alert" class="sp-error">
          <ErrorLine error={error} />
        </p>
      )}
      {shown !== null && (
        <div class="sp-query-snippet">
          <p class="sp-muted" role="status" data-testid="query-copy-status">
            {shown.copied
              ? `Copied as ${shown.label} (no token: set DATABRICKS_HOST and DATABRICKS_TOKEN).`
              : `No clipboard here: copy the ${shown.label} snippet below.`}
          </p>
          <pre class="sp-query-pre" data-testid="query-snippet" data-kind={shown.label}>
            {shown.text}
          </pre>
        </div>
      )}
    </div>
  );
}
