/**
 * A view's window on the anywidget model: it remembers every listener the view adds, so the
 * view's cleanup can remove them all at once, synchronously, whatever the UI framework's own
 * unmount timing (Preact 11 runs effect cleanups after unmount returns) and whatever the host
 * (JupyterLab drops view listeners itself; marimo and VS Code may not).
 */
import type { AnyModel } from "@anywidget/types";

// biome-ignore lint/suspicious/noExplicitAny: the anywidget callback type is (...args: any[]).
type Handler = (...args: any[]) => void;

export class ScopedModel<S extends Record<string, unknown>> {
  private readonly added: Array<[string, Handler]> = [];
  private disposed = false;

  constructor(readonly model: AnyModel<S>) {}

  get<K extends keyof S & string>(key: K): S[K] {
    return this.model.get(key);
  }

  /** Sets a trait and sends it to Python in one step. */
  update<K extends keyof S & string>(key: K, value: S[K]): void {
    this.model.set(key, value);
    this.model.save_changes();
  }

  send(content: unknown): void {
    this.model.send(content);
  }

  on(eventName: string, handler: Handler): () => void {
    if (this.disposed) {
      return () => undefined;
    }
    this.model.on(eventName, handler);
    this.added.push([eventName, handler]);
    return () => this.off(eventName, handler);
  }

  off(eventName: string, handler: Handler): void {
    const index = this.added.findIndex(([name, fn]) => name === eventName && fn === handler);
    if (index >= 0) {
      this.added.splice(index, 1);
      this.model.off(eventName, handler);
    }
  }

  /** Removes every listener this view added; later `on` calls are ignored. */
  dispose(): void {
    this.disposed = true;
    for (const [eventName, handler] of this.added.splice(0)) {
      this.model.off(eventName, handler);
    }
  }
}
