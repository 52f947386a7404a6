/**
 * The Config tab's rows: each served entity of the draft with its editable version, workload
 * size, scale to zero and traffic percentage, and a Remove (or Keep) button. Names and model
 * names are server strings: shown as text, invisible characters marked.
 */
import { yesNo } from "../ui/format";
import { Visible } from "../ui/visible";
import { type Draft, updateRow, WORKLOAD_SIZES } from "./draft";

export function RowsTable({ draft, edit }: { draft: Draft; edit: (next: Draft) => void }) {
  return (
    <div class="sp-table-wrap">
      <table class="sp-table" data-testid="config-rows">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Model</th>
            <th scope="col">Version</th>
            <th scope="col">Workload size</th>
            <th scope="col">Scale to zero</th>
            <th scope="col">Traffic %</th>
            <th scope="col">
              <span class="sp-muted">Remove</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {draft.rows.map((row) => {
            const set = (change: Parameters<typeof updateRow>[2]): void =>
              edit(updateRow(draft, row.name, change));
            const label = (what: string): string => `${what} of ${row.name}`;
            return (
              <tr
                key={row.name}
                data-entity={row.name}
                class={row.removed ? "sp-removed" : row.added ? "sp-added" : undefined}
              >
                <th scope="row">
                  <Visible text={row.name} />
                  {row.added && <span class="sp-tag sp-tag-added">added</span>}
                  {row.removed && <span class="sp-tag sp-tag-removed">removed</span>}
                </th>
                <td>
                  <Visible text={row.entity} />
                </td>
                <td>
                  {row.external || row.added ? (
                    row.version || "—"
                  ) : (
                    <input
                      class="sp-config-input sp-config-version"
                      aria-label={label("Version")}
                      data-testid="config-version"
                      value={row.version}
                      disabled={row.removed}
                      onInput={(e) => set({ version: e.currentTarget.value })}
                    />
                  )}
                </td>
                <td>
                  {row.external || row.workloadSize === null ? (
                    (row.workloadSize ?? "—")
                  ) : (
                    <select
                      class="sp-config-input"
                      aria-label={label("Workload size")}
                      data-testid="config-size"
                      value={row.workloadSize}
                      disabled={row.removed}
                      onChange={(e) => set({ workloadSize: e.currentTarget.value })}
                    >
                      {WORKLOAD_SIZES.map((size) => (
                        <option key={size} value={size}>
                          {size}
                        </option>
                      ))}
                    </select>
                  )}
                </td>
                <td>
                  {row.external ? (
                    yesNo(row.scaleToZero)
                  ) : (
                    <input
                      type="checkbox"
                      aria-label={label("Scale to zero")}
                      data-testid="config-scale"
                      checked={row.scaleToZero}
                      disabled={row.removed}
                      onChange={(e) => set({ scaleToZero: e.currentTarget.checked })}
                    />
                  )}
                </td>
                <td>
                  <input
                    class="sp-config-input sp-config-pct"
                    inputMode="numeric"
                    aria-label={label("Traffic percentage")}
                    data-testid="config-traffic"
                    value={row.removed ? "0" : row.traffic}
                    disabled={row.removed}
                    onInput={(e) => set({ traffic: e.currentTarget.value })}
                  />
                </td>
                <td>
                  <button
                    type="button"
                    class="sp-button"
                    aria-label={row.removed ? `Keep ${row.name}` : `Remove ${row.name}`}
                    data-testid="config-remove"
                    onClick={() => set({ removed: !row.removed })}
                  >
                    {row.removed ? "Keep" : "Remove"}
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
