/** This session's queries, newest first; a click puts one back in the editor. */
import { Visible } from "../ui/visible";
import type { HistoryEntry } from "./types";

interface HistoryProps {
  entries: HistoryEntry[];
  onPick: (entry: HistoryEntry) => void;
}

export function History({ entries, onPick }: HistoryProps) {
  if (entries.length === 0) return <p class="sp-muted">No queries sent from this panel yet.</p>;
  return (
    <ol class="sp-query-history" data-testid="query-history" reversed>
      {[...entries].reverse().map((entry) => (
        <li key={entry.id}>
          <button
            type="button"
            class="sp-query-item"
            title="Put this request back in the editor"
            data-testid="query-history-item"
            onClick={() => onPick(entry)}
          >
            <span class={entry.status === 200 ? "sp-query-ok" : "sp-query-bad"}>
              {entry.status ?? "—"}
            </span>{" "}
            {entry.target === null ? "endpoint" : <Visible text={entry.target} />}
            {entry.servedEntity !== null && (
              <>
                {" → "}
                <Visible text={entry.servedEntity} />
              </>
            )}
            {entry.latencyMs !== null && ` · ${Math.round(entry.latencyMs)} ms`}
            {entry.streamed && " · streamed"}
            <span class="sp-muted"> {JSON.stringify(entry.request).slice(0, 80)}</span>
          </button>
        </li>
      ))}
    </ol>
  );
}
