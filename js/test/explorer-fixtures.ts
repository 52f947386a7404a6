/** Rows of the explorer's Endpoints view for vitest, as listing.py would send them. */
import type { Row } from "../src/explorer/model";

export function explorerRowFixture(overrides: Partial<Row> = {}): Row {
  return {
    name: "ads-endpoint",
    id: "id-1",
    state: "Ready",
    ready: "READY",
    config_update: "NOT_UPDATING",
    updating: false,
    creator: "alice@example.com",
    created: 1_700_000_000_000,
    updated: 1_700_000_000_000,
    description: "",
    tags: [],
    entities: [{ name: "ads1-1", entity: "ads1", version: "1", state: null }],
    traffic: null,
    pending_version: null,
    permission_level: null,
    detailed: false,
    ...overrides,
  };
}
