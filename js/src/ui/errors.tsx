/**
 * One error shape for the whole view. Python sends errors as `{message, error_code, status}`
 * (in a failed reply and in `snapshot.error`); that snake_case wire form is read here, once,
 * at the two boundaries (bridge/rpc.ts parses replies, model.ts normalizes the snapshot), and
 * everything inside the view handles an ErrorView. A message, code or status may come from
 * the server, so ErrorLine renders them as text, never as HTML.
 *
 * The rpc (bridge/rpc.ts) builds on this module, so it imports only bridge/wire.ts.
 */
import { isObject } from "../bridge/wire";

/** An error as the view shows it: the server's message, and its code and HTTP status if any. */
export interface ErrorView {
  message: string;
  /** The Databricks `error_code` (e.g. PERMISSION_DENIED), or a panel code (STALE_ACL). */
  errorCode: string | undefined;
  /** The HTTP status; undefined when there was none (a timeout, a closed view). */
  status: number | undefined;
}

/** The wire form, as Python writes it in a failed reply and in `snapshot.error`. */
export interface WireError {
  message: string;
  error_code?: string;
  status?: number;
}

/** An ErrorView from the wire form `{message, error_code, status}`, whatever is missing. */
export function errorFromWire(raw: unknown, fallbackMessage = "unknown error"): ErrorView {
  const wire = isObject(raw) ? raw : {};
  const code = wire.error_code;
  const status = wire.status;
  return {
    message: typeof wire.message === "string" ? wire.message : fallbackMessage,
    errorCode: typeof code === "string" && code !== "" ? code : undefined,
    status: typeof status === "number" && Number.isFinite(status) ? status : undefined,
  };
}

/**
 * Whatever a promise rejected with, as an ErrorView: an Error that carries `errorCode` and
 * `status` (the rpc's RpcFailure), any other Error, a wire error object, or anything else.
 */
export function toErrorView(reason: unknown): ErrorView {
  if (reason instanceof Error) {
    const { errorCode, status } = reason as Error & Partial<ErrorView>;
    return {
      message: reason.message,
      errorCode: typeof errorCode === "string" && errorCode !== "" ? errorCode : undefined,
      status: typeof status === "number" ? status : undefined,
    };
  }
  if (isObject(reason) && typeof reason.message === "string") return errorFromWire(reason);
  return { message: String(reason), errorCode: undefined, status: undefined };
}

/** The code and the status (when above 0), in that order: what follows a message. */
export function errorParts(error: ErrorView): string[] {
  const parts: string[] = [];
  if (error.errorCode !== undefined && error.errorCode !== "") parts.push(error.errorCode);
  if (error.status !== undefined && error.status > 0) parts.push(String(error.status));
  return parts;
}

/**
 * How the code and status are written: "PERMISSION_DENIED · 403" as a tag beside a message
 * (the tabs), "(PERMISSION_DENIED, 403)" as an aside ending a sentence (header, dialogs);
 * "" when the error carries neither.
 */
export function errorTag(error: ErrorView, style: "tag" | "aside" = "tag"): string {
  const parts = errorParts(error);
  if (parts.length === 0) return "";
  return style === "tag" ? parts.join(" · ") : `(${parts.join(", ")})`;
}

export interface ErrorLineProps {
  error: ErrorView;
  style?: "tag" | "aside";
  /** Class of the message's span (each feature styles its own alerts). */
  messageClass?: string;
  /** Class of the code's span. */
  codeClass?: string;
}

/** The message, then its code and status, as text. */
export function ErrorLine({
  error,
  style = "tag",
  messageClass = "sp-error-message",
  codeClass = "sp-error-code",
}: ErrorLineProps) {
  const tag = errorTag(error, style);
  return (
    <>
      <span class={messageClass}>{error.message}</span>
      {tag !== "" ? (
        <span class={codeClass}>
          {style === "aside" ? " " : ""}
          {tag}
        </span>
      ) : null}
    </>
  );
}
