/**
 * Lines back to text (for the copy and the download) and the download itself.
 *
 * A line with a timestamp or a level is written as `2026-11-24T20:13:00.123Z INFO message`,
 * the local workspace's own format (so its logs come back byte for byte); continuation lines
 * and lines without a prefix are written as their message.
 */
import { safeFileNamePart, saveFile } from "../ui/download";
import type { LogBuffer } from "./buffer";
import { type LineView, lineAt, viewLength } from "./filter";
import type { LogKind } from "./types";

export function formatLine(buffer: LogBuffer, index: number): string {
  const message = buffer.message[index] ?? "";
  if (buffer.continuation[index] === true) return message;
  const time = buffer.time[index] ?? null;
  const level = buffer.level[index] ?? null;
  const prefix: string[] = [];
  if (time !== null) prefix.push(new Date(time).toISOString());
  if (level !== null) prefix.push(level);
  return prefix.length === 0 ? message : `${prefix.join(" ")} ${message}`;
}

/** The lines of `view`, one per line, each ending with a newline. */
export function formatLines(buffer: LogBuffer, view: LineView): string {
  const count = viewLength(view, buffer.length);
  const lines = new Array<string>(count);
  for (let position = 0; position < count; position++) {
    lines[position] = formatLine(buffer, lineAt(view, position));
  }
  return count === 0 ? "" : `${lines.join("\n")}\n`;
}

/** `<endpoint>-<entity>-<kind>-v<version>.log`, with anything unsafe in a file name as "_". */
export function logFileName(
  endpoint: string,
  entity: string,
  kind: LogKind,
  version: number | null,
): string {
  const safe = safeFileNamePart;
  const suffix = version === null ? "current" : `v${version}`;
  return `${safe(endpoint)}-${safe(entity)}-${kind}-${suffix}.log`;
}

/** Saves `text` as a plain-text file. */
export function saveText(parent: HTMLElement, fileName: string, text: string): void {
  saveFile(parent, fileName, text, "text/plain;charset=utf-8");
}
