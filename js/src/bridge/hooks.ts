/** Preact hooks that bind components to the view's scoped model. */
import { useEffect, useState } from "preact/hooks";
import type { ScopedModel } from "./scoped-model";
import type { Wait, WaitWatch } from "./waiting";

/** The current value of a synced trait, re-rendering whenever Python (or another view) changes it. */
export function useModelValue<S extends Record<string, unknown>, K extends keyof S & string>(
  model: ScopedModel<S>,
  key: K,
): S[K] {
  const [value, setValue] = useState<S[K]>(() => model.get(key));
  useEffect(() => {
    const onChange = (): void => setValue(model.get(key));
    const stop = model.on(`change:${key}`, onChange);
    onChange();
    return stop;
  }, [model, key]);
  return value;
}

/** The view's wait state (waiting.ts), re-rendering on each change. */
export function useWait(waits: WaitWatch): Wait {
  const [wait, setWait] = useState<Wait>(() => waits.state);
  useEffect(() => {
    const onChange = (): void => setWait(waits.state);
    const stop = waits.subscribe(onChange);
    onChange();
    return stop;
  }, [waits]);
  return wait;
}
