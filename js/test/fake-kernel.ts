/** A stand-in for what the host says about its kernel (src/bridge/kernel.ts), for vitest. */
import type { KernelActivity, KernelState } from "../src/bridge/kernel";

/** A host kernel whose state the test sets. */
export class FakeKernel implements KernelActivity {
  state: KernelState;
  private readonly listeners = new Set<() => void>();
  constructor(state: KernelState = "idle") {
    this.state = state;
  }
  set(state: KernelState): void {
    this.state = state;
    for (const listener of [...this.listeners]) listener();
  }
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  get listening(): number {
    return this.listeners.size;
  }
  dispose(): void {
    this.listeners.clear();
  }
}
