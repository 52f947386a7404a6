/**
 * The add-entity form's version list: once a model name is typed (and typing pauses), ask
 * Python for that Unity Catalog model's versions (`config.versions`). Only the answer for the
 * name typed last is kept; a failure is kept as words for the form to show, never thrown: the
 * version field stays free text.
 */
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import type { Rpc } from "../bridge/rpc";
import { type ErrorView, toErrorView } from "../ui/errors";
import { type ModelVersions, normalizeVersions } from "./types";

/** How long typing must pause before the versions are asked for. */
export const VERSIONS_DELAY_MS = 400;
export const VERSIONS_TIMEOUT_MS = 30_000;

export type VersionList =
  | { state: "idle" }
  | { state: "listing"; name: string }
  | { state: "done"; name: string; found: ModelVersions }
  | { state: "failed"; name: string; error: ErrorView };

export function useVersionList(rpc: Rpc): {
  list: VersionList;
  /** The model name as typed: lists its versions after a pause ("" clears the list). */
  typed: (name: string) => void;
} {
  const [list, setList] = useState<VersionList>({ state: "idle" });
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const sequence = useRef(0);
  const live = useRef(true);

  const cancel = (): void => {
    if (timer.current !== null) clearTimeout(timer.current);
    timer.current = null;
    sequence.current += 1; // an answer still on its way is for an older name
  };

  // Layout effect: its cleanup runs synchronously on unmount, so no timer outlives the view
  // and no late answer updates it.
  useLayoutEffect(() => {
    live.current = true;
    return () => {
      live.current = false;
      cancel();
    };
  }, []);

  const ask = (name: string): void => {
    const mine = sequence.current;
    setList({ state: "listing", name });
    rpc.request<unknown>("config.versions", { name }, { timeoutMs: VERSIONS_TIMEOUT_MS }).then(
      (raw) => {
        if (live.current && mine === sequence.current)
          setList({ state: "done", name, found: normalizeVersions(raw) });
      },
      (reason: unknown) => {
        if (live.current && mine === sequence.current)
          setList({ state: "failed", name, error: toErrorView(reason) });
      },
    );
  };

  const typed = (value: string): void => {
    cancel();
    const name = value.trim();
    setList({ state: "idle" });
    if (name === "") return;
    timer.current = setTimeout(() => {
      timer.current = null;
      ask(name);
    }, VERSIONS_DELAY_MS);
  };

  return { list, typed };
}
