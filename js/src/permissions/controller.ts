/**
 * The permission editor's state and its conversation with Python, apart from the DOM (as
 * logs/loader.ts is for the Logs tab): the ACL as read, the staged changes, the review dialog,
 * and the order of `acl.read`, `acl.preview` and `acl.apply` requests.
 *
 * Sequencing: every read and every preview takes a number; an answer that arrives after a
 * newer one was asked for (or after an apply already brought a fresher ACL) is dropped. Every
 * write carries the fingerprint of the ACL as shown, so when someone changed it meanwhile
 * Python sends nothing (STALE_ACL): the list is read again, the staged changes that still
 * mean something are kept, and the user reviews again. A plan that can take away the ability
 * to manage the endpoint needs a ticked acknowledgement first (CONFIRM_REQUIRED).
 *
 * The state is an immutable object replaced on every change; `onChange` tells the view to
 * render it. After `dispose` nothing changes and late answers are ignored.
 */
import type { Rpc } from "../bridge/rpc";
import { type ErrorView, toErrorView } from "../ui/errors";
import {
  addProblem,
  NOTHING_STAGED,
  prune,
  type Staged,
  type StagedChange,
  stage,
  unstage,
  wireChanges,
} from "./staging";
import {
  type AclPreview,
  type AclRead,
  CONFIRM_REQUIRED,
  normalizeAclPreview,
  normalizeAclRead,
  type Principal,
  STALE_ACL,
  type WireChange,
} from "./types";

export const STALE_MESSAGE =
  "The permissions changed since they were shown; review the current list.";
/** Writes wait for a re-read and the write itself; give them longer than a read. */
export const APPLY_TIMEOUT_MS = 60_000;

/** The review dialog's state (dialog.tsx renders it). */
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

/** Whether Apply needs the acknowledgement checkbox ticked first. */
export const needsAcknowledgement = (state: DialogState): boolean =>
  (state.preview?.lockout_warnings.length ?? 0) > 0 || state.confirmMessage !== null;

export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

export interface PermissionsState {
  /** The ACL as last read (or as the last apply returned it). */
  read: AclRead | null;
  loading: boolean;
  loadError: ErrorView | null;
  staged: Staged;
  /** An error outside the dialog (an apply from the bar, a stale ACL). */
  alert: ErrorView | null;
  notice: string;
  dialog: DialogState | null;
  applying: boolean;
  /** Counts the moments the focus should go back to the reload button (apply, discard). */
  focusTick: number;
}

export const INITIAL_STATE: PermissionsState = {
  read: null,
  loading: false,
  loadError: null,
  staged: NOTHING_STAGED,
  alert: null,
  notice: "",
  dialog: null,
  applying: false,
  focusTick: 0,
};

type Requester = Pick<Rpc, "request">;

/** A grant from the add row. */
export type Grant = StagedChange & { level: string };

export class PermissionsController {
  private current: PermissionsState = INITIAL_STATE;
  private loadSequence = 0;
  private dialogSequence = 0;
  private requested = false;
  private disposed = false;
  private changesOf: { staged: Staged; changes: WireChange[] } = {
    staged: NOTHING_STAGED,
    changes: [],
  };

  constructor(
    private readonly rpc: Requester,
    private readonly onChange: () => void,
  ) {}

  get state(): PermissionsState {
    return this.current;
  }

  /** What is staged, as the changes sent to Python (the same array while nothing changes). */
  get changes(): WireChange[] {
    if (this.changesOf.staged !== this.current.staged) {
      this.changesOf = { staged: this.current.staged, changes: wireChanges(this.current.staged) };
    }
    return this.changesOf.changes;
  }

  /** The tab is shown: reads the ACL the first time only. */
  show(): void {
    if (this.requested) return;
    this.requested = true;
    this.load();
  }

  /** Reads the ACL (again); an older read still on its way is dropped when it answers. */
  load(): void {
    this.loadSequence += 1;
    const mine = this.loadSequence;
    this.update({ loading: true });
    this.rpc.request<unknown>("acl.read").then(
      (raw) => {
        if (this.disposed || mine !== this.loadSequence) return;
        const read = normalizeAclRead(raw);
        this.update({
          read,
          staged: prune(this.current.staged, read),
          loadError: null,
          loading: false,
        });
      },
      (reason: unknown) => {
        if (this.disposed || mine !== this.loadSequence) return;
        this.update({ loadError: toErrorView(reason), loading: false });
      },
    );
  }

  /** The reload button: clears what was said, then reads again. */
  reload(): void {
    this.update({ alert: null, notice: "" });
    this.load();
  }

  setLevel(principal: Principal & { display_name: string | null }, level: string): void {
    this.restage({
      kind: principal.kind,
      name: principal.name,
      level,
      display_name: principal.display_name,
    });
  }

  remove(principal: Principal): void {
    this.restage({ ...principal, level: null, display_name: null });
  }

  undo(principal: Principal): void {
    this.update({ staged: unstage(this.current.staged, principal) });
  }

  /** Stages a grant from the add row; returns why it can't be added, or null when it was. */
  add(grant: Grant): string | null {
    const { read, staged } = this.current;
    const why = addProblem(grant, grant.level, read, staged);
    if (why === null) this.restage(grant);
    return why;
  }

  discard(): void {
    this.update({
      staged: NOTHING_STAGED,
      notice: "Discarded the staged changes.",
      focusTick: this.current.focusTick + 1,
    });
  }

  /** Opens the review dialog and asks Python for the plan (`acl.preview`). */
  openDialog(extra: Partial<DialogState> = {}): void {
    const { read } = this.current;
    const changes = this.changes;
    if (read === null || changes.length === 0) return;
    this.dialogSequence += 1;
    const mine = this.dialogSequence;
    this.update({ notice: "", dialog: { ...NEW_DIALOG, ...extra } });
    this.rpc.request<unknown>("acl.preview", { fingerprint: read.fingerprint, changes }).then(
      (raw) => {
        if (this.disposed || mine !== this.dialogSequence) return;
        const preview = normalizeAclPreview(raw);
        if (preview.stale) {
          this.stale();
          return;
        }
        this.updateDialog({ planning: false, preview });
      },
      (reason: unknown) => {
        if (this.disposed || mine !== this.dialogSequence) return;
        this.updateDialog({ planning: false, error: toErrorView(reason) });
      },
    );
  }

  closeDialog(): void {
    this.dialogSequence += 1;
    this.update({ dialog: null });
  }

  acknowledge(on: boolean): void {
    this.updateDialog({ acknowledged: on });
  }

  /** Sends the staged changes (`acl.apply`), from the bar or from the dialog. */
  apply(fromDialog: boolean): void {
    const { read, dialog } = this.current;
    const changes = this.changes;
    if (read === null || changes.length === 0) return;
    const count = changes.length;
    const confirm = fromDialog && dialog?.acknowledged === true;
    if (fromDialog) this.updateDialog({ applying: true, error: null });
    this.update({ applying: true, alert: null, notice: "" });
    this.rpc
      .request<unknown>(
        "acl.apply",
        { fingerprint: read.fingerprint, changes, confirm_warnings: confirm },
        { timeoutMs: APPLY_TIMEOUT_MS },
      )
      .then(
        (raw) => {
          if (this.disposed) return;
          this.loadSequence += 1; // a read still on its way is older than this result
          this.dialogSequence += 1;
          this.update({
            applying: false,
            read: normalizeAclRead(raw),
            loadError: null,
            loading: false,
            staged: NOTHING_STAGED,
            dialog: null,
            notice: `Applied ${plural(count, "change")}.`,
            focusTick: this.current.focusTick + 1,
          });
        },
        (reason: unknown) => {
          if (this.disposed) return;
          this.update({ applying: false });
          const error = toErrorView(reason);
          if (error.errorCode === STALE_ACL) {
            this.stale();
          } else if (error.errorCode === CONFIRM_REQUIRED) {
            if (fromDialog) {
              this.updateDialog({
                applying: false,
                confirmMessage: error.message,
                acknowledged: false,
              });
            } else {
              this.openDialog({ confirmMessage: error.message });
            }
          } else if (fromDialog) {
            this.updateDialog({ applying: false, error });
          } else {
            this.update({ alert: error });
          }
        },
      );
  }

  /** The view is gone: no more changes, and answers still on their way are ignored. */
  dispose(): void {
    this.disposed = true;
  }

  /** The ACL changed since it was shown: close the review, say so, read it again. */
  private stale(): void {
    this.dialogSequence += 1;
    this.update({
      dialog: null,
      alert: { message: STALE_MESSAGE, errorCode: undefined, status: undefined },
    });
    this.load();
  }

  private restage(change: StagedChange): void {
    this.update({ staged: stage(this.current.staged, this.current.read, change) });
  }

  private updateDialog(patch: Partial<DialogState>): void {
    const dialog = this.current.dialog;
    if (dialog !== null) this.update({ dialog: { ...dialog, ...patch } });
  }

  private update(patch: Partial<PermissionsState>): void {
    if (this.disposed) return;
    this.current = { ...this.current, ...patch };
    this.onChange();
  }
}
