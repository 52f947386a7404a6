"""Failure triage against sample log text (sample_logs/README.md): the causes the local
workspace cannot produce (dependency conflicts, GPU errors, Databricks' registry and permission
errors, the kernel's OOM killer), the rules of the table (priority, line numbers, ANSI codes),
and noisy logs of healthy builds and servers that must name no cause. The causes the local
workspace can produce are tested with real failing models in tests/integration/test_triage.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from serving_panel import triage
from serving_panel.triage import SIGNATURES, Diagnosis, Evidence, Signature, diagnose

SAMPLES = Path(__file__).parent / "sample_logs"


def sample(name: str) -> str:
    """A sample log (tests/unit/sample_logs/, README there), byte for byte."""
    return (SAMPLES / name).read_text(encoding="utf-8")


PIP_CONFLICT = sample("pip-conflict.build.log")
CONDA_CONFLICT = sample("conda-unsatisfiable.build.log")
PIP_NO_VERSION = sample("pip-no-version.build.log")
CUDA_OOM_SERVER = sample("cuda-oom.server.log")
NO_DRIVER_SERVER = sample("no-nvidia-driver.server.log")
OOM_KILLER_SERVER = sample("oom-killer.server.log")
PERMISSION_BUILD = sample("uc-permission-denied.build.log")
MISSING_VERSION_BUILD = sample("model-version-missing.build.log")
TIMEOUT_SERVER = sample("worker-timeout.server.log")
# Healthy builds and servers, the noise a failed entity's logs also hold: no cause in them.
NOISY_BUILD = sample("healthy.build.log")
NOISY_SERVER = sample("healthy.server.log")


def _first_quote(found: Diagnosis) -> Evidence:
    return found.evidence[0]


@pytest.mark.parametrize(
    ("build", "server", "cause", "log", "line", "quote"),
    [
        (PIP_CONFLICT, "", "dependency-conflict", "build", 6, "conflicting dependencies"),
        (CONDA_CONFLICT, "", "dependency-conflict", "build", 4, "UnsatisfiableError"),
        (PIP_NO_VERSION, "", "requirement-unavailable", "build", 3, "Could not find a version"),
        ("", CUDA_OOM_SERVER, "gpu-error", "server", 10, "CUDA out of memory"),
        ("", NO_DRIVER_SERVER, "gpu-error", "server", 5, "no NVIDIA driver"),
        ("", OOM_KILLER_SERVER, "out-of-memory", "server", 2, "Perhaps out of memory?"),
        (PERMISSION_BUILD, "", "model-permission-denied", "build", 2, "PERMISSION_DENIED"),
        (MISSING_VERSION_BUILD, "", "model-version-missing", "build", 2, "Model version 7"),
        ("", TIMEOUT_SERVER, "timeout", "server", 2, "WORKER TIMEOUT"),
    ],
)
def test_captured_logs_name_their_cause_and_quote_the_line_that_shows_it(
    build: str, server: str, cause: str, log: str, line: int, quote: str
) -> None:
    found = diagnose(build, server)
    assert found is not None
    assert found.cause == cause
    assert (found.log, found.line) == (log, line)
    text = (build or server).split("\n")[line - 1]
    assert _first_quote(found).text == text.strip()
    assert quote in _first_quote(found).text


def test_a_pip_conflict_quotes_every_line_that_shows_it_with_its_number() -> None:
    found = diagnose(PIP_CONFLICT, "")
    assert found is not None
    assert [(e.source, e.line) for e in found.evidence] == [
        ("build", 6),
        ("build", 8),
        ("build", 16),
    ]
    assert found.evidence[-1].text.startswith("ERROR: ResolutionImpossible")


def test_healthy_noisy_logs_name_no_cause() -> None:
    assert diagnose(NOISY_BUILD, NOISY_SERVER) is None
    assert diagnose(NOISY_BUILD, NOISY_SERVER, "Build finished; starting the model server.") is None
    assert triage.diagnose_all(NOISY_BUILD, NOISY_SERVER) == []


def test_empty_logs_and_message_name_no_cause() -> None:
    assert diagnose("", "", "") is None


def test_a_cause_in_noise_is_found_at_its_own_line_number() -> None:
    server = NOISY_SERVER + OOM_KILLER_SERVER
    found = diagnose(NOISY_BUILD, server)
    assert found is not None
    assert found.cause == "out-of-memory"
    assert (found.log, found.line) == ("server", NOISY_SERVER.count("\n") + 2)


def test_ansi_colour_codes_are_stripped_and_line_numbers_stay_right() -> None:
    build = (
        "\x1b[32m2026-03-02T09:00:00.000Z INFO\x1b[0m build started\n"
        "\x1b[1;33mWARNING\x1b[0m: slow mirror\r\n"
        "\x1b[31mERROR\x1b[0m: No matching \x1b[1mdistribution\x1b[22m found for foo==1.0\n"
        "\x1b]8;;https://pip.pypa.io\x07pip docs\x1b]8;;\x07\n"
    )
    found = diagnose(build, "")
    assert found is not None
    assert found.cause == "requirement-unavailable"
    assert found.line == 3
    assert found.evidence[0].text == "ERROR: No matching distribution found for foo==1.0"
    assert triage.strip_ansi(build.split("\n")[3]) == "pip docs"
    assert "\x1b" not in json.dumps(found.to_json())


def test_a_more_specific_cause_wins_over_a_broader_one() -> None:
    # A failed load whose traceback ends in a missing module: the module, not "failed to load".
    build = (
        "2026-03-02T09:00:00.000Z INFO loading model with mlflow.pyfunc.load_model\n"
        "2026-03-02T09:00:01.000Z ERROR model failed to load: ModuleNotFoundError: "
        "No module named 'sklearn'\n"
        '2026-03-02T09:00:01.000Z ERROR   File "/model/code/m.py", line 3, in load_context\n'
    )
    ranked = triage.diagnose_all(build, "")
    assert [d.cause for d in ranked] == ["missing-module", "model-load-error"]
    assert diagnose(build, "") == ranked[0]
    # CUDA's out of memory is a GPU error before it is out of memory.
    assert [d.cause for d in triage.diagnose_all("", CUDA_OOM_SERVER)][:2] == [
        "gpu-error",
        "out-of-memory",
    ]


def test_the_state_message_is_evidence_and_alone_can_name_the_cause() -> None:
    message = "Container OOMKilled: the served entity used more memory than its workload size."
    found = diagnose("", "", message)
    assert found is not None
    assert found.cause == "out-of-memory"
    assert found.log is None and found.line is None
    assert found.evidence == (Evidence("state", None, message),)
    with_logs = diagnose("", OOM_KILLER_SERVER, message)
    assert with_logs is not None
    assert [e.source for e in with_logs.evidence] == ["server", "state"]
    assert (with_logs.log, with_logs.line) == ("server", 2)


def test_a_permission_error_in_the_state_message_names_the_model_permission() -> None:
    message = (
        "Failed to deploy: the endpoint creator does not have permission to access "
        "the model 'main.ml.fraud' version 3 (PERMISSION_DENIED)."
    )
    found = diagnose("", "", message)
    assert found is not None
    assert found.cause == "model-permission-denied"


def test_permission_errors_about_something_else_are_not_about_the_model() -> None:
    server = "2026-03-02T08:01:08.000Z ERROR PERMISSION_DENIED: cannot write to table logs.raw\n"
    assert diagnose("", server) is None


def test_build_only_signatures_ignore_the_server_log() -> None:
    assert diagnose("", PIP_CONFLICT) is None  # a model's own pip call at serve time is not ours


def test_quotes_are_capped_in_number_and_length() -> None:
    line = "ERROR: No matching distribution found for " + "x" * 2000
    found = diagnose("\n".join([line] * 20), "")
    assert found is not None
    assert len(found.evidence) == triage.MAX_QUOTED
    assert all(len(e.text) <= triage.MAX_QUOTED_CHARS for e in found.evidence)
    assert found.evidence[0].text.endswith("…")


def test_the_json_shape_the_panel_syncs() -> None:
    found = diagnose(PIP_NO_VERSION, "", "requirements not satisfied by this environment: x")
    assert found is not None
    shown = found.about("torch-1", 3).to_json()
    assert shown == {
        "entity": "torch-1",
        "config_version": 3,
        "cause": "requirement-unavailable",
        "title": found.title,
        "advice": found.advice,
        "log": "build",
        "line": 3,
        "lines": [
            {"log": "build", "line": 3, "text": PIP_NO_VERSION.split("\n")[2]},
            {"log": "build", "line": 4, "text": PIP_NO_VERSION.split("\n")[3]},
            {
                "log": "state",
                "line": None,
                "text": "requirements not satisfied by this environment: x",
            },
        ],
    }
    assert json.loads(json.dumps(shown)) == shown
    assert "requirement-unavailable" in found.summary()
    assert "build log line 3" in found.summary()


def test_the_table_is_well_formed() -> None:
    ids = [s.id for s in SIGNATURES]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", i) for i in ids)
    for signature in SIGNATURES:
        assert signature.title and signature.advice and signature.patterns
        assert set(signature.logs) <= {"build", "server"}
    expected = {
        "dependency-conflict",
        "missing-module",
        "requirement-unavailable",
        "model-load-error",
        "out-of-memory",
        "gpu-error",
        "timeout",
        "model-version-missing",
        "model-permission-denied",
    }
    assert set(ids) == expected


def test_the_table_is_easy_to_extend() -> None:
    image = Signature(
        id="image-pull",
        title="The serving image could not be pulled",
        advice="Check the registry credentials.",
        patterns=(r"\bErrImagePull\b", r"\bImagePullBackOff\b"),
        logs=("build",),
    )
    build = "pulling image\nFailed: ErrImagePull: unauthorized\n"
    assert diagnose(build, "") is None
    found = diagnose(build, "", signatures=(image, *SIGNATURES))
    assert found is not None
    assert (found.cause, found.line) == ("image-pull", 2)
