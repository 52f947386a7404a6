"""The notebooks run top to bottom in a real kernel, and say what they claim to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def run(name: str, tmp_path: Path) -> Any:
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)  # type: ignore[no-untyped-call]
    NotebookClient(
        notebook,
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    return notebook


def outputs(cell: Any) -> str:
    texts = []
    for output in cell.get("outputs", []):
        if "text" in output:
            texts.append(output["text"])
        data = output.get("data", {})
        texts.append(data.get("text/plain", ""))
        texts.append(data.get("text/html", ""))
    return "\n".join(texts)


@pytest.mark.timeout(300)
def test_permissions_notebook(tmp_path: Path) -> None:
    notebook = run("permissions.ipynb", tmp_path)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert "'CAN_QUERY'" in outputs(code[2])  # the grant took
    assert outputs(code[3]).strip() == "True"  # and the revoke removed it
    plan = outputs(code[4])
    assert "PUT /api/2.0/permissions/serving-endpoints/" in plan
    assert "bob@example.com" in plan
    assert "admins group's grant can't be changed" in outputs(code[5])
    access = outputs(code[6])
    assert "ads-endpoint" in access and "/serving-endpoints/" in access
    audit = outputs(code[7])
    assert "ads-endpoint" in audit and "bob@example.com" in audit
    assert "admins" not in audit
    assert "fraud-detector" in outputs(code[8])
    plan = outputs(code[9])
    assert "grant CAN_QUERY for group ml-platform on 3 endpoints" in plan
    assert plan.count("send, PATCH /api/2.0/permissions/serving-endpoints/") == 3
    applied = outputs(code[10])
    assert applied.count(": done (PATCH") == 3
    undone = outputs(code[11])
    assert undone.count("<td>done</td>") == 3 and "<td>PUT</td>" in undone


@pytest.mark.timeout(300)
def test_quickstart_notebook(tmp_path: Path) -> None:
    notebook = run("quickstart.ipynb", tmp_path)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    # It opens with the explorer: a widget view, its repr naming the local workspace.
    explorer = code[1]["outputs"]
    assert [o["data"]["application/vnd.jupyter.widget-view+json"] for o in explorer]
    assert "ServingExplorer(host='http://127.0.0.1:" in outputs(code[1])
    fleet = outputs(code[2])
    for name in ("ads-endpoint", "sentiment", "fraud-detector", "churn-model"):
        assert name in fleet
    assert "Ready (update failed)" in fleet
    assert "Not ready (update failed)" in fleet
    assert "ads1-1 80% / ads1-2 20%" in fleet
    prediction = outputs(code[5])
    assert "[3.0, 6.0]" in prediction
    assert "ads1-1" in prediction or "ads1-2" in prediction
    failure = outputs(code[6])
    assert "Ready (update failed)" in failure
    assert "fails to load on purpose" in failure


@pytest.mark.timeout(300)
def test_debugging_notebook(tmp_path: Path) -> None:
    notebook = run("debugging.ipynb", tmp_path)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert "Ready (update failed) | serving config 1 | failed config 2" in outputs(code[1])
    assert "DEPLOYMENT_FAILED" in outputs(code[2])
    build_errors = outputs(code[3])
    assert "model failed to load: RuntimeError" in build_errors
    assert "Traceback" in build_errors
    assert "fraud-2: model failed to load" in outputs(code[4])
    served = outputs(code[5])
    assert "predictions=[7.0]" in served and "fraud-1" in served
    assert '"POST /invocations" 200' in served
