/**
 * "Restore from backup…": pick the JSON file the delete dialog saved, optionally another name,
 * and Python re-creates the endpoint (`restore.run`, serving_panel/panel/restore.py), then says
 * what came back and what did not, and why. The file is read and parsed here, so a wrong file
 * is refused naming the problem before anything is sent. Server strings are text.
 */
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import type { Rpc } from "../bridge/rpc";
import { isObject, list, str } from "../bridge/wire";
import { ErrorLine, type ErrorView, toErrorView } from "../ui/errors";
import { Modal } from "../ui/modal";
import { Visible } from "../ui/visible";
import "../delete/delete.css";

/** Larger files are no backup of ours (one holds a config and an ACL). */
export const MAX_BACKUP_BYTES = 5 * 1024 * 1024;
export const RESTORE_TIMEOUT_MS = 120_000;

type Item = { part: string; item: string; reason: string };
export type RestoreResult = {
  name: string;
  complete: boolean;
  restored: Item[];
  not_restored: Item[];
};

function items(raw: unknown): Item[] {
  return list(raw)
    .filter(isObject)
    .map((i) => ({ part: str(i.part), item: str(i.item), reason: str(i.reason) }));
}

export function normalizeRestoreResult(raw: unknown): RestoreResult {
  const r = isObject(raw) ? raw : {};
  return {
    name: str(r.name),
    complete: r.complete === true,
    restored: items(r.restored),
    not_restored: items(r.not_restored),
  };
}

/** The backup in a file's text, or why it is not one. */
export function parseBackup(
  text: string,
): { backup: Record<string, unknown> } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { problem: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (!isObject(value) || !isObject(value.endpoint)) {
    return {
      problem: 'not a backup: it has no "endpoint" object (save one from the delete dialog)',
    };
  }
  return { backup: value };
}

interface RestoreDialogProps {
  rpc: Rpc;
  idPrefix: string;
  onClose: () => void;
  /** The request that restores: the panel's `restore.run`, or the explorer list's. */
  kind?: string;
  /** Called with the restored endpoint's name once Python answered. */
  onRestored?: (name: string) => void;
}

export function RestoreDialog({
  rpc,
  idPrefix,
  onClose,
  kind = "restore.run",
  onRestored,
}: RestoreDialogProps) {
  const [backup, setBackup] = useState<Record<string, unknown> | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<ErrorView | null>(null);
  const [result, setResult] = useState<RestoreResult | null>(null);
  const request = useRef<AbortController | null>(null);
  useLayoutEffect(() => () => request.current?.abort(), []);
  const titleId = `${idPrefix}-restore-title`;
  const fileId = `${idPrefix}-restore-file`;
  const nameId = `${idPrefix}-restore-name`;

  const onFile = async (file: File | undefined): Promise<void> => {
    setBackup(null);
    setProblem(null);
    setResult(null);
    if (file === undefined) return;
    if (file.size > MAX_BACKUP_BYTES) {
      setProblem(`too large for a backup (${file.size} bytes, at most ${MAX_BACKUP_BYTES})`);
      return;
    }
    const parsed = parseBackup(await file.text());
    if ("problem" in parsed) {
      setProblem(parsed.problem);
      return;
    }
    setBackup(parsed.backup);
    const endpoint = parsed.backup.endpoint;
    setName(isObject(endpoint) ? str(endpoint.name) : "");
  };

  const onRestore = (): void => {
    if (backup === null || sending) return;
    const controller = new AbortController();
    request.current = controller;
    setSending(true);
    setError(null);
    const payload = name === "" ? { backup } : { backup, name };
    rpc.request(kind, payload, { timeoutMs: RESTORE_TIMEOUT_MS, signal: controller.signal }).then(
      (raw) => {
        if (controller.signal.aborted) return;
        setSending(false);
        const restored = normalizeRestoreResult(raw);
        setResult(restored);
        onRestored?.(restored.name);
      },
      (reason: unknown) => {
        if (controller.signal.aborted) return;
        setSending(false);
        setError(toErrorView(reason));
      },
    );
  };

  return (
    <Modal
      class="sp-delete sp-delete-dialog sp-restore-dialog"
      labelledBy={titleId}
      busy={sending}
      testId="restore-dialog"
      onClose={onClose}
    >
      <h4 class="sp-delete-title" id={titleId}>
        Restore an endpoint from a backup
      </h4>
      <p class="sp-delete-lead">
        Pick the JSON file the delete dialog saved. Its config, tags, AI gateway, rate limits,
        notifications and direct grants are created again; the endpoint then builds like any new
        one.
      </p>
      <label class="sp-delete-confirm" for={fileId}>
        <span>Backup file</span>
        <input
          id={fileId}
          type="file"
          accept="application/json,.json"
          data-testid="restore-file"
          disabled={sending}
          onChange={(event) => void onFile(event.currentTarget.files?.[0])}
        />
      </label>
      {problem !== null && (
        <div class="sp-delete-alert" role="alert" data-testid="restore-problem">
          <strong>That file can't be restored:</strong> {problem}
        </div>
      )}
      {backup !== null && (
        <label class="sp-delete-confirm" for={nameId}>
          <span>Endpoint name</span>
          <input
            id={nameId}
            type="text"
            value={name}
            autocomplete="off"
            spellcheck={false}
            disabled={sending || result !== null}
            data-testid="restore-name"
            onInput={(event) => setName(event.currentTarget.value)}
          />
        </label>
      )}
      {error !== null && (
        <div class="sp-delete-alert" role="alert" data-testid="restore-error">
          <strong>Restore failed:</strong>{" "}
          <ErrorLine
            error={error}
            style="aside"
            messageClass="sp-delete-error-message"
            codeClass="sp-muted"
          />
        </div>
      )}
      {result !== null && <Report result={result} />}
      <div class="sp-delete-buttons">
        <button type="button" class="sp-button" data-testid="restore-cancel" onClick={onClose}>
          {result === null ? "Cancel" : "Close"}
        </button>
        {result === null && (
          <button
            type="button"
            class="sp-button"
            data-testid="restore-confirm"
            disabled={backup === null || sending}
            aria-busy={sending ? "true" : "false"}
            onClick={onRestore}
          >
            {sending ? "Restoring…" : "Restore"}
          </button>
        )}
      </div>
    </Modal>
  );
}

function Report({ result }: { result: RestoreResult }) {
  return (
    <div class="sp-restore-report" role="status" data-testid="restore-report">
      <p>
        {result.complete ? "Restored" : "Restored, in part:"} <Visible text={result.name} />
      </p>
      {result.not_restored.length > 0 && (
        <ul class="sp-delete-list" data-testid="restore-not-restored">
          {result.not_restored.map((item, index) => (
            <li key={index}>
              <Visible text={`${item.part}: ${item.item}`} />
              {item.reason !== "" && (
                <span class="sp-muted">
                  {" "}
                  — <Visible text={item.reason} />
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      <p class="sp-muted">
        {result.restored.length} part{result.restored.length === 1 ? "" : "s"} restored.
      </p>
    </div>
  );
}
