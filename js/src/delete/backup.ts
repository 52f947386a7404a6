/** The "Save config and permissions as JSON" download: `<name>-backup.json`, pretty-printed. */
import { safeFileNamePart, saveFile } from "../ui/download";

/** `<name>-backup.json`, with anything unsafe in a file name as "_". */
export function backupFileName(name: string): string {
  return `${safeFileNamePart(name) || "endpoint"}-backup.json`;
}

/** The export object as the file holds it: two-space indented, ending with a newline. */
export function backupText(exported: unknown): string {
  return `${JSON.stringify(exported, null, 2)}\n`;
}

/** Saves the export as `<name>-backup.json`; returns the file name. */
export function saveBackup(parent: HTMLElement, name: string, exported: unknown): string {
  const fileName = backupFileName(name);
  saveFile(parent, fileName, backupText(exported), "application/json;charset=utf-8");
  return fileName;
}
