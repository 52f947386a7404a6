/**
 * Whether the actions menu offers "Stop endpoint…" or "Start endpoint…", and why it is disabled
 * when it is: the rules the service applies (serving_panel/panel/power.py sends the request),
 * said before the user asks rather than after a refusal.
 */
import type { Snapshot } from "../model";

export interface PowerAction {
  action: "stop" | "start";
  disabled: boolean;
  /** Why it is disabled (a tooltip), or undefined. */
  why: string | undefined;
}

/** Stopped: the endpoint has a config, is not ready and no update runs. */
export function isStopped(snapshot: Snapshot): boolean {
  return snapshot.state === "Not ready (stopped)" && snapshot.config !== null;
}

/** The stop or start item for this snapshot; null when neither applies (not read, deleted, no config). */
export function powerAction(snapshot: Snapshot): PowerAction | null {
  if (snapshot.deleted === true || snapshot.state === null || snapshot.config === null) return null;
  const action = isStopped(snapshot) ? "start" : "stop";
  const verb = action === "stop" ? "Stopping" : "Starting";
  let why: string | undefined;
  if (snapshot.permission_level !== "CAN_MANAGE") {
    why = `${verb} an endpoint needs CAN_MANAGE; you have ${snapshot.permission_level ?? "no permission"}`;
  } else if (snapshot.config_update === "IN_PROGRESS") {
    why = `An update is in progress; ${verb.toLowerCase()} is possible once it ends`;
  } else if (action === "stop" && snapshot.config.entities.some((entity) => entity.external)) {
    why = "Only endpoints that serve custom models can be stopped";
  }
  return { action, disabled: why !== undefined, why };
}
