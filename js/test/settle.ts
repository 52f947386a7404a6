/**
 * Waiting for the promise work a step set off, without counting ticks.
 *
 * A reply from the fake Python resolves a promise whose callbacks queue more (the rpc, then
 * the loader or the tab, then Preact's render). Awaiting a fixed number of
 * `Promise.resolve()` guesses how long that chain is; `settled()` instead resolves from a
 * macrotask, which Node runs only once the microtask queue is empty: every callback that
 * step queued has run, however long the chain and however busy the machine. It uses Node's
 * own setImmediate, taken before any test fakes timers, so it never moves a fake clock
 * (vi.waitFor would: with fake timers it advances them on every check).
 */
// tsconfig loads no Node types; vitest runs in Node, where setImmediate always exists.
const realSetImmediate = (globalThis as unknown as { setImmediate: (run: () => void) => unknown })
  .setImmediate;

export function settled(): Promise<void> {
  return new Promise((resolve) => {
    realSetImmediate(resolve);
  });
}
