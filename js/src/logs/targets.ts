/**
 * What the toolbar offers: the served entities of the current and the pending config (each
 * labelled with the configs it belongs to) and those configs' versions, from the snapshot.
 */
import type { Snapshot } from "../model";

type Sources = Pick<Snapshot, "config" | "pending">;

export interface EntityChoice {
  name: string;
  /** "ads1-1 (v3)", "ads1-2 (pending v4)", "ads1-1 (v3, pending v4)". */
  label: string;
  /** The config versions it is in: the current config's first. */
  versions: Array<number | null>;
}

export interface VersionChoice {
  version: number | null;
  /** "v3 (current)", "v4 (pending)". */
  label: string;
  entities: string[];
}

export interface Choices {
  entities: EntityChoice[];
  versions: VersionChoice[];
}

export interface Selection {
  entity: string;
  version: number | null;
}

const tag = (version: number | null): string => (version === null ? "v?" : `v${version}`);

export function logChoices(snapshot: Sources): Choices {
  const entities = new Map<string, { labels: string[]; versions: Array<number | null> }>();
  const versions: VersionChoice[] = [];
  const configs = [
    { config: snapshot.config, pending: false },
    { config: snapshot.pending, pending: true },
  ];
  for (const { config, pending } of configs) {
    if (config === null || config === undefined) continue;
    const names = config.entities.map((e) => e.name).filter((name) => name !== "");
    const label = pending ? `pending ${tag(config.version)}` : tag(config.version);
    const existing = versions.find((v) => v.version === config.version);
    if (existing !== undefined) {
      existing.entities.push(...names.filter((name) => !existing.entities.includes(name)));
    } else {
      versions.push({
        version: config.version,
        label: `${tag(config.version)} (${pending ? "pending" : "current"})`,
        entities: names,
      });
    }
    for (const name of names) {
      const entry = entities.get(name) ?? { labels: [], versions: [] };
      if (!entry.versions.includes(config.version)) {
        entry.labels.push(label);
        entry.versions.push(config.version);
      }
      entities.set(name, entry);
    }
  }
  return {
    entities: [...entities].map(([name, entry]) => ({
      name,
      label: `${name} (${entry.labels.join(", ")})`,
      versions: entry.versions,
    })),
    versions,
  };
}

/**
 * A selection that exists in `choices`: `wanted` when it does, else the same entity in another
 * version it is in, else the first entity in its first version; null when there is none.
 */
export function reconcile(wanted: Selection | null, choices: Choices): Selection | null {
  if (wanted !== null) {
    const entity = choices.entities.find((e) => e.name === wanted.entity);
    if (entity !== undefined) {
      if (entity.versions.includes(wanted.version)) return wanted;
      return { entity: entity.name, version: entity.versions[0] ?? null };
    }
  }
  const first = choices.entities[0];
  return first === undefined ? null : { entity: first.name, version: first.versions[0] ?? null };
}

/** The selection after picking `version`: the entity stays when that config has it. */
export function withVersion(
  current: Selection | null,
  version: number | null,
  choices: Choices,
): Selection | null {
  const config = choices.versions.find((v) => v.version === version);
  if (config === undefined) return current;
  if (current !== null && config.entities.includes(current.entity)) {
    return { entity: current.entity, version };
  }
  const first = config.entities[0];
  return first === undefined ? current : { entity: first, version };
}
