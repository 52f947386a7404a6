/** The editor's alert box: an error (ui/errors.tsx's ErrorLine, as text), with retry if given. */
import { ErrorLine, type ErrorView } from "../ui/errors";

export function ErrorAlert({
  error,
  onRetry,
  testId,
}: {
  error: ErrorView;
  onRetry?: () => void;
  testId: string;
}) {
  return (
    <div class="sp-perms-alert" role="alert" data-testid={testId}>
      <ErrorLine
        error={error}
        messageClass="sp-perms-alert-message"
        codeClass="sp-perms-alert-code"
      />
      {onRetry !== undefined ? (
        <button type="button" class="sp-perms-button" onClick={onRetry}>
          retry
        </button>
      ) : null}
    </div>
  );
}
