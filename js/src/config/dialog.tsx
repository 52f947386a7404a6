/**
 * The preview before Apply: what changes, the exact `PUT .../config` body, and the same request
 * as curl, databricks-sdk or Databricks CLI to copy (no token in any: they read it from the
 * environment). Apply sends `config.apply` with the preview's id: Python sends the body it
 * kept, so what is shown here is what is sent. A modal dialog (ui/modal.tsx); server strings
 * are text.
 */
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import { copyText } from "../ui/clipboard";
import { ErrorLine, type ErrorView } from "../ui/errors";
import { version } from "../ui/format";
import { Modal } from "../ui/modal";
import { Visible } from "../ui/visible";
import type { Preview, Snippets } from "./types";

const COPY_AS: Array<[keyof Snippets, string]> = [
  ["curl", "curl"],
  ["sdk", "databricks-sdk"],
  ["cli", "CLI"],
];

interface PreviewDialogProps {
  name: string;
  preview: Preview;
  idPrefix: string;
  applying: boolean;
  error: ErrorView | null;
  onApply: () => void;
  onClose: () => void;
}

export function PreviewDialog(props: PreviewDialogProps) {
  const { name, preview, idPrefix, applying, error } = props;
  const [as, setAs] = useState<keyof Snippets>("curl");
  const [notice, setNotice] = useState<string | null>(null);
  const live = useRef(true);
  useLayoutEffect(
    () => () => {
      live.current = false;
    },
    [],
  );
  const titleId = `${idPrefix}-config-title`;
  const leadId = `${idPrefix}-config-lead`;
  const snippet = preview.snippets?.[as] ?? "";
  const onCopy = (): void => {
    copyText(snippet).then(
      (done) => {
        if (live.current) setNotice(done ? "Copied" : "No clipboard here: select the text to copy");
      },
      () => {
        if (live.current) setNotice("Could not copy: select the text to copy");
      },
    );
  };
  return (
    <Modal
      class="sp-config-dialog"
      labelledBy={titleId}
      describedBy={leadId}
      busy={applying}
      testId="config-dialog"
      onClose={props.onClose}
    >
      <h4 class="sp-h" id={titleId}>
        {preview.kind === "rollback" ? "Roll back: " : ""}PUT /api/2.0/serving-endpoints/
        <Visible text={name} />
        /config
      </h4>
      <p id={leadId} class="sp-muted">
        Made from config {version(preview.baseVersion)}; nothing has been sent. The service builds
        this as a new config version while {version(preview.baseVersion)} keeps serving.
      </p>
      <ul class="sp-changes" data-testid="config-changes">
        {preview.changes.map((line) => (
          <li key={line}>
            <Visible text={line} />
          </li>
        ))}
      </ul>
      <h5 class="sp-config-label">Request body</h5>
      <pre class="sp-config-code" data-testid="config-body">
        {JSON.stringify(preview.body, null, 2)}
      </pre>
      <fieldset class="sp-config-copy">
        <legend class="sp-muted">Copy as</legend>
        {COPY_AS.map(([key, label]) => (
          <button
            key={key}
            type="button"
            class="sp-button"
            aria-pressed={as === key ? "true" : "false"}
            data-testid={`config-as-${key}`}
            onClick={() => {
              setAs(key);
              setNotice(null);
            }}
          >
            {label}
          </button>
        ))}
        <button type="button" class="sp-button" data-testid="config-copy" onClick={onCopy}>
          Copy
        </button>
        {notice !== null && (
          <span role="status" class="sp-muted" data-testid="config-copy-notice">
            {notice}
          </span>
        )}
      </fieldset>
      <pre class="sp-config-code" data-testid="config-snippet">
        {snippet}
      </pre>
      {preview.blocked !== null && (
        <p class="sp-note" data-testid="config-blocked">
          {preview.blocked}
        </p>
      )}
      {error !== null && (
        <div class="sp-alert" role="alert" data-testid="config-apply-error">
          <strong>Not applied:</strong> <ErrorLine error={error} style="aside" />
        </div>
      )}
      <div class="sp-config-buttons">
        <button type="button" class="sp-button" data-testid="config-cancel" onClick={props.onClose}>
          Cancel
        </button>
        <button
          type="button"
          class="sp-button sp-config-primary"
          data-testid="config-apply"
          disabled={applying || preview.blocked !== null || preview.previewId === null}
          aria-busy={applying ? "true" : "false"}
          onClick={props.onApply}
        >
          {applying ? "Applying…" : "Apply"}
        </button>
      </div>
    </Modal>
  );
}
