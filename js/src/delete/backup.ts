/** The "Save config and permissions as JSON" download: `<name>-backup.json`, pretty-printed. */

/** `<name>-backup.json`, with anything unsafe in a file name as "_". */
export function backupFileName(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, "_") || "endpoint";
  return `${safe}-backup.json`;
}

/** The export object as the file holds it: two-space indented, ending with a newline. */
export function backupText(exported: unknown): string {
  return `${JSON.stringify(exported, null, 2)}\n`;
}

/** Saves the export through a Blob and a temporary object URL; returns the file name. */
export function saveBackup(parent: HTMLElement, name: string, exported: unknown): string {
  const fileName = backupFileName(name);
  const blob = new Blob([backupText(exported)], { type: "application/json;charset=utf-8" });
  const url = URL.createObjectURL(blob);
  const link = parent.ownerDocument.createElement("a");
  link.href = url;
  link.download = fileName;
  link.rel = "noopener";
  link.style.display = "none";
  parent.append(link);
  try {
    link.click();
  } finally {
    link.remove();
    // The download has resolved the URL when click() returns; nothing else needs it.
    URL.revokeObjectURL(url);
  }
  return fileName;
}
