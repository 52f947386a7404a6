/**
 * The synced state of EndpointPanel, mirroring the traitlets in serving_panel/panel.py.
 * Keep it small and JSON-shaped: anything synced may end up saved in a notebook.
 */
export type Snapshot = {
  /** Endpoint name the snapshot describes. */
  name: string;
  /** Bumped by Python each time it answers a refresh; lets views tell fresh data from stale. */
  revision: number;
};

export type PanelState = {
  endpoint_name: string;
  snapshot: Snapshot;
  /** Written by the browser: a counter whose every change asks Python to refresh. */
  _refresh_request: number;
};
