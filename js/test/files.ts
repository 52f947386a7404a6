/** Reading a file of the project in tests (a stylesheet, a recorded fixture). */

// The specifier is built at run time: the project's type settings include no Node typings.
type Fs = { readFileSync(path: string, encoding: "utf8"): string };

/** The text of the file at `path`, relative to js/ (where vitest runs). */
export async function readText(path: string): Promise<string> {
  const fs = (await import(/* @vite-ignore */ ["node", "fs"].join(":"))) as Fs;
  return fs.readFileSync(path, "utf8");
}
