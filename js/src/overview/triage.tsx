/**
 * The failure triage cards: for each failed served entity the panel diagnosed
 * (serving_panel/panel/triage.py), the likely cause in plain words, what to do, the log lines
 * that show it, and a link that opens the Logs tab at the first of them. Every string is
 * server text (or derived from it): rendered as text, invisible characters marked.
 */
import type { ShowLog, TriageView } from "../model";
import { version } from "../ui/format";
import { Visible } from "../ui/visible";

function where(line: TriageView["lines"][number]): string {
  if (line.log === "state") return "state message";
  return line.line === null ? `${line.log} log` : `${line.log} log, line ${line.line}`;
}

export function TriageCards({
  triage,
  onShowLog,
}: {
  triage: TriageView[];
  onShowLog?: ShowLog | undefined;
}) {
  return (
    <>
      {triage.map((diagnosis) => {
        const entity = diagnosis.entity ?? "a served entity";
        const { log, line } = diagnosis;
        return (
          <section
            key={`${entity}:${diagnosis.config_version}:${diagnosis.cause}`}
            class="sp-triage"
            data-testid="triage"
            data-cause={diagnosis.cause}
            aria-label={`Why ${entity} failed`}
          >
            <h4 class="sp-triage-title">
              Likely cause: <Visible text={diagnosis.title} />
            </h4>
            <p class="sp-triage-about sp-muted">
              <Visible text={entity} /> · config {version(diagnosis.config_version)}
            </p>
            {diagnosis.advice !== "" && (
              <p class="sp-triage-advice">
                <Visible text={diagnosis.advice} />
              </p>
            )}
            {diagnosis.lines.length > 0 && (
              <ul class="sp-triage-lines" data-testid="triage-lines">
                {diagnosis.lines.map((quoted, index) => (
                  <li key={index}>
                    <span class="sp-triage-where">{where(quoted)}</span>
                    <code class="sp-triage-quote">
                      <Visible text={quoted.text} />
                    </code>
                  </li>
                ))}
              </ul>
            )}
            {onShowLog !== undefined && log !== null && diagnosis.entity !== null && (
              <button
                type="button"
                class="sp-link"
                data-testid="triage-open-log"
                onClick={() =>
                  onShowLog({
                    entity: diagnosis.entity ?? "",
                    version: diagnosis.config_version,
                    kind: log,
                    line: line ?? undefined,
                  })
                }
              >
                Open the {log} log{line === null ? "" : ` at line ${line}`}
              </button>
            )}
          </section>
        );
      })}
    </>
  );
}
