/** What a pending config changes against the current one: pure, so it is tested on its own. */
import type { ConfigView, EntityView, RouteView } from "../model";

/** The entity fields the Overview compares, in the order it lists them. */
export const COMPARED_FIELDS = [
  "entity",
  "version",
  "workload_size",
  "workload_type",
  "scale_to_zero",
  "traffic",
] as const;

export type ComparedField = (typeof COMPARED_FIELDS)[number];

type FieldValue = string | number | boolean | null;

export type FieldChange = { field: ComparedField; from: FieldValue; to: FieldValue };

export type EntityChange =
  | { kind: "added"; name: string; entity: EntityView; traffic: number | null }
  | { kind: "removed"; name: string; entity: EntityView; traffic: number | null }
  | { kind: "changed"; name: string; changes: FieldChange[] };

export type ConfigDiff = {
  /** Pending entities in their order (added or changed), then the removed ones. */
  entities: EntityChange[];
  /** Whether the routes differ (as entity → percentage, unrouted counting as 0). */
  trafficChanged: boolean;
  /** Changed fields by entity name, for highlighting cells. */
  changedFields: Map<string, Set<ComparedField>>;
  added: Set<string>;
  removed: Set<string>;
};

/** The percentage routed to `name`: routes are authoritative, then the entity's own figure. */
export function trafficOf(config: ConfigView, name: string): number | null {
  const route = config.routes.find((r) => r.entity === name);
  if (route !== undefined) return route.percentage;
  return config.entities.find((e) => e.name === name)?.traffic ?? null;
}

function fieldValue(config: ConfigView, entity: EntityView, field: ComparedField): FieldValue {
  if (field === "traffic") return trafficOf(config, entity.name) ?? 0;
  return entity[field];
}

export function diffConfigs(current: ConfigView | null, pending: ConfigView): ConfigDiff {
  const base: ConfigView = current ?? { version: null, start_time: null, entities: [], routes: [] };
  const before = new Map(base.entities.map((e) => [e.name, e]));
  const after = new Set(pending.entities.map((e) => e.name));
  const diff: ConfigDiff = {
    entities: [],
    trafficChanged: false,
    changedFields: new Map(),
    added: new Set(),
    removed: new Set(),
  };
  for (const entity of pending.entities) {
    const old = before.get(entity.name);
    if (old === undefined) {
      diff.added.add(entity.name);
      diff.entities.push({
        kind: "added",
        name: entity.name,
        entity,
        traffic: trafficOf(pending, entity.name),
      });
      continue;
    }
    const changes: FieldChange[] = [];
    for (const field of COMPARED_FIELDS) {
      const from = fieldValue(base, old, field);
      const to = fieldValue(pending, entity, field);
      if (from !== to) changes.push({ field, from, to });
    }
    if (changes.length > 0) {
      diff.entities.push({ kind: "changed", name: entity.name, changes });
      diff.changedFields.set(entity.name, new Set(changes.map((c) => c.field)));
    }
  }
  for (const entity of base.entities) {
    if (!after.has(entity.name)) {
      diff.removed.add(entity.name);
      diff.entities.push({
        kind: "removed",
        name: entity.name,
        entity,
        traffic: trafficOf(base, entity.name),
      });
    }
  }
  diff.trafficChanged = routesKey(base.routes) !== routesKey(pending.routes);
  return diff;
}

function routesKey(routes: RouteView[]): string {
  return routes
    .filter((r) => r.percentage !== 0)
    .map((r) => `${r.entity}=${r.percentage}`)
    .sort()
    .join(",");
}

const FIELD_LABELS: Record<ComparedField, string> = {
  entity: "entity",
  version: "version",
  workload_size: "size",
  workload_type: "type",
  scale_to_zero: "scale to zero",
  traffic: "traffic",
};

function show(field: ComparedField, value: FieldValue): string {
  if (value === null) return "—";
  if (typeof value === "boolean") return value ? "on" : "off";
  return field === "traffic" ? `${value}%` : String(value);
}

/** One line per change, e.g. "ads1-2: version 1 → 2", "ads1-3 added", for the summary list. */
export function describeChanges(diff: ConfigDiff): string[] {
  const lines: string[] = [];
  for (const change of diff.entities) {
    if (change.kind === "added") lines.push(`${change.name} added`);
    else if (change.kind === "removed") lines.push(`${change.name} removed`);
    else {
      const parts = change.changes.map(
        (c) => `${FIELD_LABELS[c.field]} ${show(c.field, c.from)} → ${show(c.field, c.to)}`,
      );
      lines.push(`${change.name}: ${parts.join(", ")}`);
    }
  }
  return lines;
}
