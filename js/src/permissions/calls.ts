/**
 * The API call(s) in a plan's `describe` text. Python's planner (serving_panel/acl.py,
 * AclPlan.describe) writes the call(s), then a "Changes:" and a "Warnings:" section, for a
 * preview printed as plain text. The review dialog shows the changes as its diff list and the
 * warnings as their own list, so its <pre> keeps only the calls: each thing is said once.
 */

/** Section headings the planner writes after the calls, each on a line of its own. */
const SECTIONS = new Set(["Changes:", "Warnings:"]);

/** `describe` up to its first "Changes:" or "Warnings:" line (JSON bodies never hold one). */
export function apiCalls(describe: string): string {
  const lines = describe.split("\n");
  const end = lines.findIndex((line) => SECTIONS.has(line));
  return (end < 0 ? lines : lines.slice(0, end)).join("\n");
}
