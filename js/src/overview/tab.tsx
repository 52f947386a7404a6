/**
 * The Overview tab: traffic split, served entities, and (while one exists) the pending config
 * with what it changes, or, when that update failed, which entities failed with a link to each
 * one's build log. Every server string is rendered as text, invisible characters marked.
 */

import {
  type ConfigView,
  deploymentTone,
  type EntityView,
  type RouteView,
  type ShowLog,
  type Snapshot,
} from "../model";
import { percent, relativeTime, version, yesNo } from "../ui/format";
import { Visible } from "../ui/visible";
import { type ComparedField, type ConfigDiff, describeChanges, diffConfigs } from "./diff";
import { TriageCards } from "./triage";

interface OverviewProps {
  snapshot: Snapshot;
  now: number;
  onShowLog?: ShowLog | undefined;
}

/** What the tab says when there is no current config. */
function noConfigText(snapshot: Snapshot): string {
  const { pending } = snapshot;
  if (snapshot.fetched_at === null && snapshot.state === null) {
    return "The endpoint has not been read yet.";
  }
  if (pending === null) return "This endpoint has no config yet.";
  if (snapshot.config_update === "UPDATE_FAILED") {
    return `Its first config, ${version(pending.version)}, failed to deploy: nothing serves yet.`;
  }
  return `Its first config, ${version(pending.version)}, is being deployed: nothing serves yet.`;
}

export function Overview({ snapshot, now, onShowLog }: OverviewProps) {
  const { config, pending } = snapshot;
  const failed = snapshot.config_update === "UPDATE_FAILED";
  return (
    <div class="sp-overview" data-testid="overview">
      {snapshot.triage !== undefined && snapshot.triage.length > 0 && (
        <TriageCards triage={snapshot.triage} onShowLog={onShowLog} />
      )}
      {config === null ? (
        <p class="sp-empty" data-testid="no-config">
          {noConfigText(snapshot)}
        </p>
      ) : (
        <>
          <h4 class="sp-h">Traffic</h4>
          <Traffic routes={config.routes} testId="traffic-bar" />
          <h4 class="sp-h">
            Served entities <span class="sp-muted">config {version(config.version)}</span>
          </h4>
          <EntitiesTable config={config} testId="entities" />
        </>
      )}
      {pending !== null && (
        <Pending
          current={config}
          pending={pending}
          now={now}
          failed={failed}
          onShowLog={onShowLog}
        />
      )}
    </div>
  );
}

function routesLabel(routes: RouteView[]): string {
  return routes.map((r) => `${r.entity} ${percent(r.percentage)}`).join(", ");
}

/** Segments narrower than this share of the bar show their percentage only. */
const NAMED_SHARE = 0.25;

/** A proportional bar (one segment per routed entity) and the same numbers as a list. */
export function Traffic({ routes, testId }: { routes: RouteView[]; testId: string }) {
  const routed = routes.filter((r) => r.percentage > 0);
  const total = routed.reduce((sum, r) => sum + r.percentage, 0);
  if (routes.length === 0 || total <= 0) {
    return <p class="sp-empty">No traffic is routed.</p>;
  }
  return (
    <div class="sp-traffic">
      <div
        class="sp-bar"
        role="img"
        aria-label={`Traffic split: ${routesLabel(routes)}`}
        data-testid={testId}
      >
        {routed.map((route, index) => {
          const label = `${route.entity} ${percent(route.percentage)}`;
          // A narrow segment shows its share only (the name would be cut to "sentiment-2…");
          // the list below and the tooltip name it.
          const shown = route.percentage / total < NAMED_SHARE ? percent(route.percentage) : label;
          return (
            <div
              key={route.entity}
              class={`sp-seg sp-seg-${index % 6}`}
              style={{ width: `${(route.percentage / total) * 100}%` }}
              title={label}
            >
              <span class="sp-seg-label">
                <Visible text={shown} />
              </span>
            </div>
          );
        })}
      </div>
      <ul class="sp-routes">
        {routes.map((route) => {
          const index = routed.indexOf(route);
          return (
            <li key={route.entity}>
              <span
                class={`sp-swatch sp-seg-${index < 0 ? "none" : index % 6}`}
                aria-hidden="true"
              />
              <span class="sp-route-name">
                <Visible text={route.entity} />
              </span>{" "}
              <span class="sp-num">{percent(route.percentage)}</span>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

type RowMark = { kind: "added" | "removed" } | { kind: "changed"; fields: Set<ComparedField> };

interface EntitiesTableProps {
  config: ConfigView;
  testId: string;
  /** In the pending table: what changed against the current config. */
  diff?: ConfigDiff;
  /** Entities the pending config drops, shown struck through after the others. */
  removed?: EntityView[];
  base?: ConfigView | null;
}

function EntitiesTable({ config, testId, diff, removed = [], base = null }: EntitiesTableProps) {
  if (config.entities.length === 0 && removed.length === 0) {
    return <p class="sp-empty">No served entities.</p>;
  }
  const markOf = (name: string): RowMark | undefined => {
    if (diff === undefined) return undefined;
    if (diff.added.has(name)) return { kind: "added" };
    const fields = diff.changedFields.get(name);
    return fields === undefined ? undefined : { kind: "changed", fields };
  };
  return (
    <div class="sp-table-wrap">
      <table class="sp-table" data-testid={testId}>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Entity</th>
            <th scope="col">Version</th>
            <th scope="col">Workload</th>
            <th scope="col">Scale to zero</th>
            <th scope="col">Traffic</th>
            <th scope="col">State</th>
            <th scope="col">Message</th>
          </tr>
        </thead>
        <tbody>
          {config.entities.map((entity) => (
            <EntityRow
              key={entity.name}
              entity={entity}
              mark={markOf(entity.name)}
              previous={base?.entities.find((e) => e.name === entity.name)}
            />
          ))}
          {removed.map((entity) => (
            <EntityRow key={`removed-${entity.name}`} entity={entity} mark={{ kind: "removed" }} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface EntityRowProps {
  entity: EntityView;
  mark?: RowMark | undefined;
  previous?: EntityView | undefined;
}

function workload(entity: EntityView): string {
  return [entity.workload_size, entity.workload_type].filter((v) => v !== null).join(" · ") || "—";
}

function trafficText(value: number | null): string {
  return value === null ? "—" : percent(value);
}

function EntityRow({ entity, mark, previous }: EntityRowProps) {
  const changed = (fields: ComparedField[]): boolean =>
    mark?.kind === "changed" && fields.some((f) => mark.fields.has(f));
  /** A cell's text, with "was …" after it when the pending config changes it. */
  const cell = (fields: ComparedField[], now: string, was: string | undefined) => (
    <td class={changed(fields) ? "sp-changed" : undefined}>
      {now}
      {changed(fields) && was !== undefined && <span class="sp-was"> (was {was})</span>}
    </td>
  );
  const tone = deploymentTone(entity.state);
  const rowClass = mark === undefined || mark.kind === "changed" ? undefined : `sp-${mark.kind}`;
  return (
    <tr class={rowClass} data-entity={entity.name}>
      <th scope="row" class="sp-entity-name">
        <Visible text={entity.name} />
        {mark?.kind === "added" && <span class="sp-tag sp-tag-added">added</span>}
        {mark?.kind === "removed" && <span class="sp-tag sp-tag-removed">removed</span>}
      </th>
      <td class={changed(["entity"]) ? "sp-changed" : undefined}>
        <Visible text={entity.entity} />
        {entity.external && <span class="sp-tag">external</span>}
        {changed(["entity"]) && previous !== undefined && (
          <span class="sp-was"> (was {previous.entity})</span>
        )}
      </td>
      {cell(["version"], entity.version ?? "—", previous ? (previous.version ?? "—") : undefined)}
      {cell(
        ["workload_size", "workload_type"],
        workload(entity),
        previous ? workload(previous) : undefined,
      )}
      {cell(
        ["scale_to_zero"],
        yesNo(entity.scale_to_zero),
        previous ? yesNo(previous.scale_to_zero) : undefined,
      )}
      {cell(
        ["traffic"],
        trafficText(entity.traffic),
        previous ? trafficText(previous.traffic) : undefined,
      )}
      <td class="sp-state">
        <span class={`sp-dot sp-tone-${tone}`} aria-hidden="true" />
        {entity.state ?? "—"}
      </td>
      <td class="sp-message">
        <Visible text={entity.message} />
      </td>
    </tr>
  );
}

interface PendingProps {
  current: ConfigView | null;
  pending: ConfigView;
  now: number;
  /** The update to this config failed (UPDATE_FAILED): it will not go live. */
  failed: boolean;
  onShowLog?: ShowLog | undefined;
}

function Pending({ current, pending, now, failed, onShowLog }: PendingProps) {
  const diff = diffConfigs(current, pending);
  const lines = describeChanges(diff);
  const removed = current?.entities.filter((e) => diff.removed.has(e.name)) ?? [];
  const broken = pending.entities.filter((e) => e.state === "DEPLOYMENT_FAILED");
  return (
    <section
      class={failed ? "sp-pending sp-pending-failed" : "sp-pending"}
      data-testid="pending"
      aria-label={failed ? "Failed update" : "Pending config"}
    >
      <h4 class="sp-h">
        {failed
          ? `Update to ${version(pending.version)} failed`
          : `Pending ${version(pending.version)}`}
        {current !== null && ` vs current ${version(current.version)}`}
        {pending.start_time !== null && (
          <span class="sp-muted"> · started {relativeTime(pending.start_time, now)}</span>
        )}
      </h4>
      {failed && (
        <div class="sp-failed-update" data-testid="failed-update">
          <p>
            {current === null
              ? "Nothing serves until a config deploys."
              : `Config ${version(current.version)} keeps serving.`}{" "}
            {broken.length === 0
              ? "No entity says why; see the logs."
              : `${broken.length === 1 ? "This entity" : "These entities"} failed:`}
          </p>
          {broken.length > 0 && (
            <ul class="sp-failed-entities">
              {broken.map((entity) => (
                <li key={entity.name}>
                  <strong>
                    <Visible text={entity.name} />
                  </strong>
                  {entity.message !== "" && (
                    <>
                      {": "}
                      <span class="sp-message">
                        <Visible text={entity.message} />
                      </span>
                    </>
                  )}{" "}
                  {onShowLog !== undefined && (
                    <button
                      type="button"
                      class="sp-link"
                      data-testid="show-build-log"
                      onClick={() =>
                        onShowLog({ entity: entity.name, version: pending.version, kind: "build" })
                      }
                    >
                      Build log
                    </button>
                  )}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {lines.length === 0 && !diff.trafficChanged ? (
        <p class="sp-muted">No differences in served entities or traffic.</p>
      ) : (
        <ul class="sp-changes">
          {lines.map((line) => (
            <li key={line}>{line}</li>
          ))}
          {diff.trafficChanged && (
            <li class="sp-traffic-change">
              traffic {current === null ? "none" : routesLabel(current.routes) || "none"} →{" "}
              {routesLabel(pending.routes) || "none"}
            </li>
          )}
        </ul>
      )}
      <Traffic routes={pending.routes} testId="pending-traffic-bar" />
      <EntitiesTable
        config={pending}
        testId="pending-entities"
        diff={diff}
        removed={removed}
        base={current}
      />
    </section>
  );
}
