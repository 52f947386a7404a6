/**
 * The ACL as a table: one row per principal, level and origin, then the staged additions.
 * Direct rows get a level select and a remove button; inherited rows (and the admins group)
 * show their level as text, no remove button, and say why. A level the caller can't change
 * (read-only, or a row staged for removal) is text too: a disabled select reads as broken.
 * Staged edits are marked: a changed level with what it was, a removed row struck through
 * with an undo, an added row tagged new. Names show invisible characters marked.
 */
import { Visible } from "../ui/visible";
import {
  lockedReason,
  principalKey,
  rowMark,
  type Staged,
  type StagedChange,
  who,
} from "./staging";
import { type AclRow, KIND_LABELS, type Principal } from "./types";

export interface AclTableProps {
  label: string;
  rows: AclRow[];
  added: StagedChange[];
  staged: Staged;
  levels: string[];
  caller: Principal | null;
  readOnly: boolean;
  onLevel: (row: Principal & { display_name: string | null }, level: string) => void;
  onRemove: (row: Principal) => void;
  onUndo: (row: Principal) => void;
}

const isCaller = (principal: Principal, caller: Principal | null): boolean =>
  caller !== null && caller.kind === principal.kind && caller.name === principal.name;

function PrincipalCell({
  principal,
  displayName,
  you,
  tag,
}: {
  principal: Principal;
  displayName: string | null;
  you: boolean;
  tag?: { text: string; className: string };
}) {
  const shown = displayName !== null && displayName !== "" ? displayName : principal.name;
  return (
    <th scope="row" class="sp-perms-principal">
      <span class="sp-perms-display">
        <Visible text={shown} />
      </span>
      {you ? <span class="sp-perms-you">you</span> : null}
      {tag !== undefined ? <span class={`sp-perms-tag ${tag.className}`}>{tag.text}</span> : null}
      {shown !== principal.name ? (
        <span class="sp-perms-name">
          <Visible text={principal.name} />
        </span>
      ) : null}
    </th>
  );
}

/** A level that can't be changed here, as text; screen readers hear whose level it is. */
function LevelText({ principal, value }: { principal: Principal; value: string }) {
  return (
    <span class="sp-perms-level-text" data-testid="perms-level-text">
      <span class="sp-perms-sr">Level of {who(principal)}: </span>
      <Visible text={value} />
    </span>
  );
}

function LevelSelect({
  principal,
  value,
  levels,
  onChange,
}: {
  principal: Principal;
  value: string;
  levels: string[];
  onChange: (level: string) => void;
}) {
  // A level this version doesn't know is kept as an option, so the select can show it.
  const options = levels.includes(value) ? levels : [value, ...levels];
  // In a span: when a staged removal turns the select into text, the span is what leaves the
  // DOM (happy-dom, which the tests run in, fails to remove a bare <select> from its parent).
  return (
    <span class="sp-perms-level-edit">
      <select
        class="sp-perms-select"
        aria-label={`Level of ${who(principal)}`}
        value={value}
        onChange={(event) => onChange((event.currentTarget as HTMLSelectElement).value)}
      >
        {options.map((level) => (
          <option key={level} value={level}>
            {level}
          </option>
        ))}
      </select>
    </span>
  );
}

export function AclTable(props: AclTableProps) {
  const { rows, added, staged, levels, caller, readOnly } = props;
  return (
    <div class="sp-table-wrap">
      <table class="sp-table sp-perms-table" aria-label={props.label} data-testid="perms-table">
        <thead>
          <tr>
            <th scope="col">Principal</th>
            <th scope="col">Kind</th>
            <th scope="col">Level</th>
            <th scope="col">Inherited from</th>
            <th scope="col">
              <span class="sp-perms-sr">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const key = `${principalKey(row)}\u0000${row.level}\u0000${row.inherited}`;
            const locked = lockedReason(row);
            const you = isCaller(row, caller);
            if (locked !== null) {
              return (
                <tr key={key} class="sp-perms-row sp-perms-inherited" data-testid="perms-row">
                  <PrincipalCell principal={row} displayName={row.display_name} you={you} />
                  <td>{KIND_LABELS[row.kind] ?? row.kind}</td>
                  <td class="sp-perms-level">
                    <LevelText principal={row} value={row.level} />
                  </td>
                  <td class="sp-perms-from">
                    {row.inherited ? (
                      <Visible text={row.inherited_from.join(", ") || "a parent object"} />
                    ) : (
                      "—"
                    )}
                  </td>
                  <td class="sp-perms-action">
                    <span class="sp-perms-locked" title={locked} data-testid="perms-locked">
                      <span aria-hidden="true">{row.inherited ? "inherited" : "fixed"}</span>
                      <span class="sp-perms-sr">{locked}</span>
                    </span>
                  </td>
                </tr>
              );
            }
            const { mark, level } = rowMark(row, staged);
            const removed = mark === "removed";
            return (
              <tr
                key={key}
                class={`sp-perms-row sp-perms-${mark}`}
                data-testid="perms-row"
                data-mark={mark}
              >
                <PrincipalCell
                  principal={row}
                  displayName={row.display_name}
                  you={you}
                  {...(removed
                    ? { tag: { text: "removed", className: "sp-perms-tag-removed" } }
                    : {})}
                />
                <td>{KIND_LABELS[row.kind] ?? row.kind}</td>
                <td class="sp-perms-level">
                  {readOnly || removed ? (
                    <LevelText principal={row} value={level} />
                  ) : (
                    <LevelSelect
                      principal={row}
                      value={level}
                      levels={levels}
                      onChange={(next) => props.onLevel(row, next)}
                    />
                  )}
                  {mark === "changed" ? <span class="sp-perms-was">was {row.level}</span> : null}
                </td>
                <td class="sp-perms-from">—</td>
                <td class="sp-perms-action">
                  {readOnly ? null : removed ? (
                    <button
                      type="button"
                      class="sp-perms-icon"
                      aria-label={`Keep ${who(row)}`}
                      title="Undo the removal"
                      data-testid="perms-undo"
                      onClick={() => props.onUndo(row)}
                    >
                      ↺
                    </button>
                  ) : (
                    <button
                      type="button"
                      class="sp-perms-icon"
                      aria-label={`Remove ${who(row)}'s direct grant`}
                      title="Remove this direct grant"
                      data-testid="perms-remove"
                      onClick={() => props.onRemove(row)}
                    >
                      ✕
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
          {added.map((change) => (
            <tr
              key={`added\u0000${principalKey(change)}`}
              class="sp-perms-row sp-perms-added"
              data-testid="perms-row"
              data-mark="added"
            >
              <PrincipalCell
                principal={change}
                displayName={change.display_name}
                you={isCaller(change, caller)}
                tag={{ text: "new", className: "sp-perms-tag-added" }}
              />
              <td>{KIND_LABELS[change.kind] ?? change.kind}</td>
              <td class="sp-perms-level">
                {readOnly ? (
                  <LevelText principal={change} value={change.level ?? ""} />
                ) : (
                  <LevelSelect
                    principal={change}
                    value={change.level ?? levels[0] ?? ""}
                    levels={levels}
                    onChange={(next) => props.onLevel(change, next)}
                  />
                )}
              </td>
              <td class="sp-perms-from">—</td>
              <td class="sp-perms-action">
                <button
                  type="button"
                  class="sp-perms-icon"
                  aria-label={`Don't add ${who(change)}`}
                  title="Don't add"
                  data-testid="perms-unstage"
                  onClick={() => props.onUndo(change)}
                >
                  ✕
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
