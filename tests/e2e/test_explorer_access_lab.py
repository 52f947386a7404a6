"""ServingExplorer's Access view and grants across endpoints in JupyterLab, checked against the
workspace through ServingClient: effective levels per principal and endpoint (inherited ones
marked) narrowed to one principal; a grant on two selected endpoints picked through the SCIM
look-up, previewed call by call, applied with a result per endpoint and seen by the client;
server strings (tags, principal names) rendered as text; no token in the page or the saved
notebook."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Locator, expect

from harness.api import unique
from harness.lab import JupyterLab
from harness.notebook import NotebookPage
from serving_panel import ServingClient
from serving_panel.local.handle import LocalWorkspace

pytestmark = pytest.mark.e2e

TIMES = "\N{MULTIPLICATION SIGN}"  # as in the Access view's "3 principals by 2 endpoints"
XSS = '<img src=x onerror="window.__pwned = 1">'

# Generous: the Access view reads the ACL of every endpoint in the session's workspace.
ACCESS_TIMEOUT_MS = 90_000

EXPLORER = [
    "from serving_panel import ServingExplorer\n"
    "explorer = ServingExplorer(auto_refresh=False)\n"
    "explorer"
]


def open_explorer(lab: JupyterLab, notebook: NotebookPage, marker: str, count: int) -> Locator:
    """The explorer in a new notebook, searched down to the `count` endpoints named `marker`…"""
    notebook.open(lab.add_notebook(f"{marker}.ipynb", EXPLORER))
    notebook.run_all()
    root = notebook.locator(".serving-explorer")
    root.get_by_test_id("explorer-search").fill(marker)
    expect(root.get_by_test_id("explorer-row")).to_have_count(count)
    return root


def test_the_access_view_shows_effective_levels_and_narrows_to_one_principal(
    lab: JupyterLab, notebook: NotebookPage, client: ServingClient, workspace: LocalWorkspace
) -> None:
    marker = unique("xacc")
    names = [f"{marker}-{i}" for i in range(3)]
    for name in names:
        client.create(name)
    alice = f"{unique('alice')}@example.com"
    workspace.add_user(alice)
    client.grant(names[0], "CAN_QUERY", user=alice)
    client.grant(names[1], "CAN_VIEW", user=alice)
    root = open_explorer(lab, notebook, marker, 3)

    root.get_by_test_id("explorer-view-access").click()
    view = root.get_by_test_id("access-view")
    view.get_by_test_id("access-endpoint").fill(marker)
    # Every endpoint's ACL is read, the session's other tests' endpoints too.
    expect(view.get_by_test_id("access-progress")).to_have_count(0, timeout=ACCESS_TIMEOUT_MS)
    expect(view.get_by_test_id("access-shown")).to_contain_text(f"{TIMES} 3 endpoints")
    expect(view.get_by_test_id("access-unreadable")).to_have_count(0)
    # Admins manage every endpoint through inheritance, marked as inherited in each cell.
    admins = view.locator('[data-testid=access-row][data-principal="admins"]')
    admin_cells = admins.get_by_test_id("access-cell")
    expect(admin_cells).to_have_count(3)
    for index in range(3):
        expect(admin_cells.nth(index)).to_have_attribute("data-inherited", "true")
        expect(admin_cells.nth(index)).to_contain_text("MANAGE")

    # "What can alice@ query?": one row, and only the endpoints she has a level on.
    view.get_by_test_id("access-who").fill(alice)
    rows = view.get_by_test_id("access-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-principal", alice)
    expect(view.get_by_test_id("access-shown")).to_contain_text(f"1 principals {TIMES} 2 endpoints")
    headers = view.locator("thead th").all_inner_texts()[1:]
    cells = rows.first.get_by_test_id("access-cell").all_inner_texts()
    assert dict(zip(headers, cells, strict=True)) == {names[0]: "QUERY", names[1]: "VIEW"}
    expect(rows.first.get_by_test_id("access-cell").first).not_to_have_attribute(
        "data-inherited", "true"
    )
    expect(root.get_by_role("alert")).to_have_count(0)
    assert notebook.widget_errors() == []


def test_a_grant_on_two_selected_endpoints_is_previewed_applied_and_seen_by_the_client(
    lab: JupyterLab, notebook: NotebookPage, client: ServingClient, workspace: LocalWorkspace
) -> None:
    marker = unique("xgrant")
    names = [f"{marker}-{i}" for i in range(3)]
    for name in names:
        client.create(name)
    handle = unique("grantee")
    grantee = f"{handle}@example.com"
    # Its display name is server text too: the look-up's suggestion shows it as text.
    workspace.add_user(grantee, display_name=f"Grantee {XSS}")
    chosen = names[:2]
    root = open_explorer(lab, notebook, marker, 3)

    for name in chosen:
        root.get_by_role("checkbox", name=f"Select {name}").check()
    expect(root.get_by_test_id("explorer-selection")).to_contain_text("2 selected")
    root.get_by_test_id("explorer-grant").click()
    grants = root.get_by_test_id("grants")
    expect(grants).to_contain_text("Grant on 2 selected")

    grants.get_by_test_id("perms-principal").fill(handle)
    suggestion = grants.get_by_test_id("perms-suggestions").get_by_role("option")
    expect(suggestion).to_have_count(1)
    expect(suggestion).to_contain_text(f"Grantee {XSS}")
    expect(suggestion).to_contain_text(grantee)
    suggestion.click()
    expect(grants.get_by_test_id("perms-principal")).to_have_value(grantee)
    expect(grants.get_by_test_id("perms-kind")).to_have_value("user")
    grants.get_by_test_id("perms-level").select_option("CAN_QUERY")
    grants.get_by_test_id("perms-add-button").click()

    plan = grants.get_by_test_id("grants-plan").get_by_test_id("grants-row")
    expect(plan).to_have_count(2)
    for name in chosen:
        row = plan.filter(has_text=name)
        expect(row).to_have_attribute("data-outcome", "send")
        endpoint_id = client.get(name).id
        expect(row).to_contain_text(f"PATCH /api/2.0/permissions/serving-endpoints/{endpoint_id}")
        expect(row).to_contain_text(grantee)
        expect(row).to_contain_text("none → CAN_QUERY")
    # The preview sent nothing.
    for name in chosen:
        assert client.permissions(name).level_of("user", grantee) is None

    grants.get_by_test_id("grants-apply").click()
    results = grants.get_by_test_id("grants-results").get_by_test_id("grants-row")
    expect(results).to_have_count(2)
    for name in chosen:
        row = results.filter(has_text=name)
        expect(row).to_have_attribute("data-outcome", "done")
        expect(row).to_contain_text("done")
    for name in chosen:
        assert client.permissions(name).level_of("user", grantee) == "CAN_QUERY"
    assert client.permissions(names[2]).level_of("user", grantee) is None
    expect(root.get_by_role("alert")).to_have_count(0)
    assert root.locator("img").count() == 0
    assert notebook.page.evaluate("() => window.__pwned") is None
    assert notebook.widget_errors() == []


def test_tags_render_as_text_and_no_token_reaches_the_page_or_the_saved_notebook(
    lab: JupyterLab, notebook: NotebookPage, client: ServingClient, workspace: LocalWorkspace
) -> None:
    marker = unique("xxss")
    name = f"{marker}-tagged"
    client.create(name, tags={XSS: "key", "note": XSS})
    root = open_explorer(lab, notebook, marker, 1)
    chips = root.get_by_test_id("explorer-row").get_by_test_id("explorer-tag")
    expect(chips).to_have_count(2)
    assert sorted(chips.all_inner_texts()) == sorted([f"{XSS}=key", f"note={XSS}"])
    # The search matches tags as text too (other tests' endpoints may match it as well).
    root.get_by_test_id("explorer-search").fill('onerror="window')
    expect(root.locator(f'[data-testid=explorer-row][data-name="{name}"]')).to_be_visible()
    assert root.locator("img").count() == 0
    assert notebook.page.evaluate("() => window.__pwned") is None
    html = notebook.page.evaluate("() => document.documentElement.outerHTML")
    assert workspace.token not in html
    notebook.save()
    saved = (lab.root_dir / f"{marker}.ipynb").read_text()
    widgets = json.loads(saved)["metadata"]["widgets"]
    state = widgets["application/vnd.jupyter.widget-state+json"]["state"]
    assert any("endpoint_name" in m["state"] for m in state.values())  # the state was saved...
    assert workspace.token not in saved and "dapi" not in saved  # ...and the token is not in it
    assert notebook.widget_errors() == []
