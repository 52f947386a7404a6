/** Reply errors as the editor shows them: the server's message, code and status, as text. */
import { RpcFailure } from "../bridge/rpc";

export interface ErrorView {
  message: string;
  code: string | undefined;
  status: number | undefined;
}

export function errorView(reason: unknown): ErrorView {
  if (reason instanceof RpcFailure) {
    return { message: reason.message, code: reason.errorCode, status: reason.status };
  }
  return {
    message: reason instanceof Error ? reason.message : String(reason),
    code: undefined,
    status: undefined,
  };
}

/** "PERMISSION_DENIED · 403", or "" when the error carries neither. */
export function errorTag(error: ErrorView): string {
  return [error.code, error.status ? String(error.status) : undefined].filter(Boolean).join(" · ");
}

export function ErrorAlert({
  error,
  onRetry,
  testId,
}: {
  error: ErrorView;
  onRetry?: () => void;
  testId: string;
}) {
  const tag = errorTag(error);
  return (
    <div class="sp-perms-alert" role="alert" data-testid={testId}>
      <span class="sp-perms-alert-message">{error.message}</span>
      {tag !== "" ? <span class="sp-perms-alert-code">{tag}</span> : null}
      {onRetry !== undefined ? (
        <button type="button" class="sp-perms-button" onClick={onRetry}>
          retry
        </button>
      ) : null}
    </div>
  );
}
