/** Saving text as a file from the panel: the Logs tab's download and Delete's JSON backup. */

/** A piece of a file name with anything unsafe in one replaced by "_". */
export function safeFileNamePart(part: string): string {
  return part.replace(/[^A-Za-z0-9._-]+/g, "_");
}

/** Saves `text` as `fileName` through a Blob and a temporary object URL. */
export function saveFile(parent: HTMLElement, fileName: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
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
}
