/**
 * The answer to a send: status, latency measured in the kernel, the entity that answered, and
 * the body pretty-printed, all as text; while a stream runs, its output as it arrives.
 */
import { Visible } from "../ui/visible";
import { pretty } from "./editor";
import type { SendResult } from "./types";

interface ResultProps {
  result: SendResult | null;
  /** The streamed output so far ("" when nothing streamed). */
  streamed: string;
  sending: boolean;
}

export function Result({ result, streamed, sending }: ResultProps) {
  return (
    <div class="sp-query-result" data-testid="query-result" aria-live="polite">
      {result !== null && (
        <p class="sp-query-meta" data-testid="query-meta">
          <span
            class={result.status === 200 ? "sp-query-ok" : "sp-query-bad"}
            data-testid="query-status"
          >
            {result.status ?? "—"}
          </span>
          {result.latencyMs !== null && (
            <span data-testid="query-latency"> · {result.latencyMs.toFixed(1)} ms</span>
          )}
          {result.servedEntity !== null && (
            <span data-testid="query-entity">
              {" · answered by "}
              <Visible text={result.servedEntity} />
            </span>
          )}
        </p>
      )}
      {(streamed !== "" || (sending && result === null)) && (
        <pre class="sp-query-pre" data-testid="query-stream">
          {streamed || "…"}
        </pre>
      )}
      {result?.streamError != null && (
        <p class="sp-error" role="alert">
          The stream ended early: {result.streamError}
        </p>
      )}
      {result !== null && (
        <pre class="sp-query-pre" data-testid="query-body">
          {pretty(result.body)}
        </pre>
      )}
    </div>
  );
}
