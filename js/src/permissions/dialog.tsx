/**
 * The review dialog: the exact diff, the API call(s) `acl.apply` will make (the planner's own
 * text, in a <pre>, as text), the warnings, and, when the plan can take away the ability to
 * manage the endpoint, a checkbox the user must tick before Apply is enabled.
 *
 * Modal: role="dialog" with aria-modal, the content behind it inert, Tab and Shift+Tab kept
 * inside, Escape closes; the focus goes back to where it was when the dialog opened.
 */
import { useLayoutEffect, useRef } from "preact/hooks";
import { ErrorLine, type ErrorView } from "../ui/errors";
import { type AclPreview, KIND_LABELS, type PlannedChange } from "./types";

export interface DialogState {
  preview: AclPreview | null;
  /** Waiting for `acl.preview`. */
  planning: boolean;
  /** Waiting for `acl.apply`. */
  applying: boolean;
  error: ErrorView | null;
  /** Python asked for confirmation (CONFIRM_REQUIRED): its message. */
  confirmMessage: string | null;
  acknowledged: boolean;
}

export const NEW_DIALOG: DialogState = {
  preview: null,
  planning: true,
  applying: false,
  error: null,
  confirmMessage: null,
  acknowledged: false,
};

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

const FOCUSABLE =
  'button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea, [href], [tabindex]:not([tabindex="-1"])';

const MARKS: Record<PlannedChange["kind_of_change"], string> = {
  grant: "+",
  upgrade: "↑",
  downgrade: "↓",
  revoke: "−",
};

/** Whether Apply needs the acknowledgement checkbox ticked first. */
export const needsAcknowledgement = (state: DialogState): boolean =>
  (state.preview?.lockout_warnings.length ?? 0) > 0 || state.confirmMessage !== null;

export function ReviewDialog(props: ReviewDialogProps) {
  const { state, idPrefix } = props;
  const box = useRef<HTMLDivElement>(null);
  const onClose = useRef(props.onClose);
  onClose.current = props.onClose;

  useLayoutEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    box.current?.focus();
    return () => {
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  const onKeyDown = (event: KeyboardEvent): void => {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      onClose.current();
      return;
    }
    if (event.key !== "Tab" || box.current === null) return;
    const items = [...box.current.querySelectorAll<HTMLElement>(FOCUSABLE)];
    const first = items[0];
    const last = items[items.length - 1];
    if (first === undefined || last === undefined) {
      event.preventDefault();
      return;
    }
    const current = document.activeElement;
    const inside = current instanceof Node && box.current.contains(current);
    if (event.shiftKey && (current === first || current === box.current || !inside)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (current === last || !inside)) {
      event.preventDefault();
      first.focus();
    }
  };

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
      <div
        ref={box}
        class="sp-perms-dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-busy={state.planning || state.applying ? "true" : "false"}
        tabIndex={-1}
        data-testid="perms-dialog"
        onKeyDown={onKeyDown}
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
                      {KIND_LABELS[change.kind] ?? change.kind} {change.name}
                      {name !== undefined && name !== change.name ? ` (${name})` : ""}
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
              {preview.describe}
            </pre>
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
      </div>
    </div>
  );
}
