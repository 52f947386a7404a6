/**
 * The clipboard, for any feature that copies text (the Logs tab's copy, the actions menu's
 * "Copy endpoint id"). Hosts differ: an insecure context or an old embedding has no async
 * clipboard API, so callers learn that and show the text instead.
 */

/** Puts `text` on the clipboard; false when this host offers no clipboard API. */
export async function copyText(text: string): Promise<boolean> {
  const clipboard = globalThis.navigator?.clipboard;
  if (clipboard === undefined || typeof clipboard.writeText !== "function") return false;
  await clipboard.writeText(text);
  return true;
}
