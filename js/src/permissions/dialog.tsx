/**
 * The review dialog: the exact diff, the API call(s) `acl.apply` will make (the planner's own
 * text, in a <pre>, as text; see calls.ts), the warnings, and, when the plan can take away the
 * ability to manage the endpoint, a checkbox the user must tick before Apply is enabled.
 *
 * Modal (ui/modal.tsx): role="dialog" with aria-modal, Tab and Shift+Tab kept inside, Escape
 * closes, the focus goes back to where it was when the dialog opened; the tab makes the
 * content behind it inert.
 */

import { CopyAs } from "../ui/copy-as";
import { ErrorLine } from "../ui/errors";
import { Modal } from "../ui/modal";
import { Visible } from "../ui/visible";
import { apiCalls } from "./calls";
import { type DialogState, needsAcknowledgement } from "./controller";
import { KIND_LABELS, type PlannedChange } from "./types";

export interface ReviewDialogProps {
  idPrefix: string;
  state: DialogState;
  /** How many changes are staged (the title says it before the plan arrives). */
  count: number;
  displayNames: Map<string, string>;
  onAcknowledge: (on: boolean) => void;
  onApply: () => void;
  onClose: () => void;
}

const MARKS: Record<PlannedChange["kind_of_change"], string> = {
  grant: "+",
  upgrade: "↑",
  downgrade: "↓",
  revoke: "−",
};

export function ReviewDialog(props: ReviewDialogProps) {
  const { state, idPrefix } = props;
  const preview = state.preview;
  const ack = needsAcknowledgement(state);
  const lockouts = new Set(preview?.lockout_warnings ?? []);
  const canApply =
    preview !== null &&
    preview.method !== null &&
    !state.applying &&
    !state.planning &&
    (!ack || state.acknowledged);
  const count = preview?.changes.length ?? props.count;
  const titleId = `${idPrefix}-perms-dialog-title`;

  return (
    <div class="sp-perms-backdrop">
      <Modal
        class="sp-perms-dialog"
        labelledBy={titleId}
        busy={state.planning || state.applying}
        testId="perms-dialog"
        onClose={props.onClose}
      >
        <h3 id={titleId} class="sp-perms-dialog-title">
          Review {count} permission change{count === 1 ? "" : "s"}
        </h3>
        {state.planning ? <p role="status">Planning the change against a fresh read…</p> : null}
        {preview !== null ? (
          <>
            <ul class="sp-perms-diff" data-testid="perms-diff" aria-label="Changes">
              {preview.changes.map((change) => {
                const name = props.displayNames.get(`${change.kind}\u0000${change.name}`);
                return (
                  <li
                    key={`${change.kind}\u0000${change.name}`}
                    class={`sp-perms-diff-${change.kind_of_change}`}
                  >
                    <span class="sp-perms-diff-mark" aria-hidden="true">
                      {MARKS[change.kind_of_change] ?? "·"}
                    </span>
                    <span class="sp-perms-diff-who">
                      {KIND_LABELS[change.kind] ?? change.kind} <Visible text={change.name} />
                      {name !== undefined && name !== change.name ? (
                        <>
                          {" ("}
                          <Visible text={name} />
                          {")"}
                        </>
                      ) : null}
                    </span>
                    {": "}
                    {change.before ?? "(none)"} → {change.after ?? "(none)"}{" "}
                    <span class="sp-perms-muted">({change.kind_of_change})</span>
                  </li>
                );
              })}
            </ul>
            <h4 class="sp-perms-dialog-h">{preview.method === "PUT" ? "API calls" : "API call"}</h4>
            <pre class="sp-perms-describe" data-testid="perms-describe">
              {apiCalls(preview.describe)}
            </pre>
            <CopyAs snippets={preview.snippets} testId="perms-copy-as" />
            {preview.warnings.length > 0 ? (
              <div class="sp-perms-warnings" data-testid="perms-warnings">
                <h4 class="sp-perms-dialog-h">Warnings</h4>
                <ul>
                  {preview.warnings.map((warning) => (
                    <li key={warning} class={lockouts.has(warning) ? "sp-perms-lockout" : ""}>
                      {warning}
                    </li>
                  ))}
                </ul>
              </div>
            ) : null}
          </>
        ) : null}
        {state.confirmMessage !== null ? (
          <p class="sp-perms-confirm" role="alert" data-testid="perms-confirm-message">
            {state.confirmMessage}
          </p>
        ) : null}
        {ack ? (
          <label class="sp-perms-ack">
            <input
              type="checkbox"
              checked={state.acknowledged}
              data-testid="perms-ack"
              onChange={(event) =>
                props.onAcknowledge((event.currentTarget as HTMLInputElement).checked)
              }
            />
            I understand: after this change, I or others may no longer be able to manage this
            endpoint.
          </label>
        ) : null}
        {state.error !== null ? (
          <div class="sp-perms-alert" role="alert" data-testid="perms-dialog-error">
            <ErrorLine
              error={state.error}
              messageClass="sp-perms-alert-message"
              codeClass="sp-perms-alert-code"
            />
          </div>
        ) : null}
        <div class="sp-perms-dialog-actions">
          <button
            type="button"
            class="sp-perms-button"
            data-testid="perms-dialog-cancel"
            onClick={() => props.onClose()}
          >
            Cancel
          </button>
          <button
            type="button"
            class="sp-perms-button sp-perms-primary"
            disabled={!canApply}
            data-testid="perms-dialog-apply"
            onClick={() => props.onApply()}
          >
            {state.applying ? "Applying…" : `Apply ${count} change${count === 1 ? "" : "s"}`}
          </button>
        </div>
      </Modal>
    </div>
  );
}
