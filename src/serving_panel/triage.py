"""Why a deployment failed, in plain words, from its build log, its server log and its message.

`diagnose(build_log, server_log, state_message)` reads the logs of one failed served entity and
names the likely cause: the first entry of `SIGNATURES` (a table in priority order, most
specific first) with a pattern that matches a line of a log it applies to, or the entity's
state message. It quotes the lines that show it with their 1-based line numbers in that log, so
a viewer can open the log at the first of them. `diagnose_all` gives every matching cause, in
the same order.

Adding a cause is one `Signature` in the table: an id, a title and advice in plain words, the
regexes (searched in each line, case-insensitively unless the pattern says otherwise) and the
logs they apply to. Put it above any broader cause its lines would also match (a missing module
is also a model that fails to load; a CUDA out-of-memory is also out of memory).

Lines are split as `serving_panel.logs` splits them (``"\\n"`` only; a final newline ends the
last line), so the numbers are the log viewer's. ANSI colour codes and other terminal escapes
are removed before matching and from the quoted text; a line's number does not change.

Pure: the standard library only, so the client, the panel and the tests share it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

__all__ = [
    "SIGNATURES",
    "Diagnosis",
    "Evidence",
    "Signature",
    "diagnose",
    "diagnose_all",
    "strip_ansi",
]

LogKind = Literal["build", "server"]
Source = Literal["build", "server", "state"]
BOTH: tuple[LogKind, ...] = ("build", "server")

#: Lines quoted per diagnosis, and characters kept of each (the panel syncs them).
MAX_QUOTED = 5
MAX_QUOTED_CHARS = 500
#: Characters of a line searched: a megabyte of base64 on one line holds no cause.
_MAX_SEARCHED_CHARS = 4000

# CSI (colours, cursor moves), OSC (titles, links) ended by BEL or ST, and lone two-byte escapes.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


def strip_ansi(text: str) -> str:
    """`text` without terminal escape sequences (colours, cursor moves, hyperlinks)."""
    return _ANSI.sub("", text) if "\x1b" in text else text


@dataclass(frozen=True)
class Signature:
    """One cause: what it is called, what to do about it, and the lines that show it."""

    id: str
    title: str
    advice: str
    patterns: tuple[str, ...]
    logs: tuple[LogKind, ...] = BOTH
    """The logs its patterns are searched in; the state message is always searched."""
    _compiled: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        compiled = tuple(re.compile(p, re.IGNORECASE) for p in self.patterns)
        object.__setattr__(self, "_compiled", compiled)

    def matches(self, line: str) -> bool:
        return any(p.search(line) for p in self._compiled)


@dataclass(frozen=True)
class Evidence:
    """A quoted line: which log (or the entity's state message), its line number there (None
    for the state message) and its text without terminal escapes."""

    source: Source
    line: int | None
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"log": self.source, "line": self.line, "text": self.text}


@dataclass(frozen=True)
class Diagnosis:
    """The likely cause of a failed deployment and the lines that show it.

    `log` and `line` say where the first quoted log line is (None when only the state message
    shows the cause). `entity` and `config_version` are set by whoever read the logs (the
    client's `diagnose`, the panel), not by `diagnose` itself."""

    cause: str
    title: str
    advice: str
    evidence: tuple[Evidence, ...]
    entity: str | None = None
    config_version: int | None = None

    @property
    def log(self) -> LogKind | None:
        for item in self.evidence:
            if item.source != "state":
                return item.source
        return None

    @property
    def line(self) -> int | None:
        for item in self.evidence:
            if item.source != "state":
                return item.line
        return None

    def about(self, entity: str | None, config_version: int | None) -> Diagnosis:
        """This diagnosis, said of one served entity of one config version."""
        return replace(self, entity=entity, config_version=config_version)

    def summary(self) -> str:
        """One line for an error message: the title, the id, and where the first quote is."""
        where = f"{self.log} log line {self.line}" if self.log is not None else "state message"
        quote = self.evidence[0].text if self.evidence else ""
        shown = quote if len(quote) <= 200 else quote[:199] + "…"
        return f"{self.title} [{self.cause}]; {where}: {shown}"

    def to_json(self) -> dict[str, Any]:
        """What the panel's snapshot holds (see `serving_panel/panel/triage.py`)."""
        return {
            "entity": self.entity,
            "config_version": self.config_version,
            "cause": self.cause,
            "title": self.title,
            "advice": self.advice,
            "log": self.log,
            "line": self.line,
            "lines": [item.to_json() for item in self.evidence],
        }


# The table ------------------------------------------------------------------------------------
# In priority order: the first signature with a matching line names the cause. Patterns quote
# the wording of pip, conda, Python, CUDA, the Linux OOM killer, Kubernetes, Databricks' model
# registry and Unity Catalog, and the local workspace (serving_panel/local: builds/build.py,
# builds/loader.py, models/registry.py, serving/supervisor.py).

_MODEL = r"(?:model|registeredmodel|routine or model)"

SIGNATURES: tuple[Signature, ...] = (
    Signature(
        id="model-version-missing",
        title="The model version does not exist",
        advice=(
            "Check the served entity's model name and version: the version may never have "
            "been registered, or was deleted. Register it, or point the entity at a version "
            "that exists."
        ),
        patterns=(
            r"\bno model named '[^']*' in the local model store",
            r"\bmodel '[^']*' has no version \S+ in the local model store",
            r"\bmodel version must be a positive integer such as '1'",
            rf"RESOURCE_DOES_NOT_EXIST\b.*\b{_MODEL}",
            rf"\b{_MODEL}\b.*\bRESOURCE_DOES_NOT_EXIST",
            rf"\b{_MODEL} version\b.*\b(?:does not exist|not found)",
            rf"\b{_MODEL}\b\s+'[^']*'\s+does not exist",
        ),
    ),
    Signature(
        id="model-permission-denied",
        title="No permission to read the model",
        advice=(
            "The endpoint's creator (or its service principal) needs permission to read the "
            "model version: EXECUTE on a Unity Catalog model (with USE CATALOG and USE SCHEMA), "
            "or CAN READ on a workspace registry model. Grant it, then update the endpoint."
        ),
        patterns=(
            rf"PERMISSION_DENIED\b.*\b{_MODEL}",
            rf"\b{_MODEL}\b.*\bPERMISSION_DENIED",
            rf"\bdoes not have (?:\w+ )?(?:permission|privilege|EXECUTE|READ)\b.*\b{_MODEL}",
            rf"\b{_MODEL}\b.*\bdoes not have (?:\w+ )?(?:permission|privilege)",
        ),
    ),
    Signature(
        id="dependency-conflict",
        title="The model's dependencies conflict with each other",
        advice=(
            "Two requirements ask for incompatible versions of the same package. Read the "
            "'conflict is caused by' lines, loosen or align the pins in the model's "
            "requirements.txt / conda.yaml (or log the model again with compatible "
            "pip_requirements), then update the endpoint."
        ),
        patterns=(
            r"\bResolutionImpossible\b",
            r"\bconflicting dependencies\b",
            r"\bThe conflict is caused by\b",
            r"\bUnsatisfiableError\b",
            r"\bfound to be incompatible with each other\b",
            r"\bfound conflicts!",
        ),
        logs=("build",),
    ),
    Signature(
        id="requirement-unavailable",
        title="A requirement this environment cannot meet",
        advice=(
            "A package the model requires is not available in the version it asks for (a "
            "typo, a version that does not exist for this Python, or a private index the "
            "build cannot reach). Fix the requirement in the model's requirements.txt, or log "
            "the model with a version that exists, then update the endpoint."
        ),
        patterns=(
            r"\brequirement .+: .+, NOT SATISFIED\b",
            r"\brequirements not satisfied by this environment\b",
            r"\bCould not find a version that satisfies the requirement\b",
            r"\bNo matching distribution found for\b",
            r"\bPackagesNotFoundError\b",
            r"\bThe following packages are not available from current channels\b",
            r"\bnothing provides\b.*\bneeded by\b",
        ),
        logs=("build",),
    ),
    Signature(
        id="missing-module",
        title="The model imports a module that is not installed",
        advice=(
            "The model's code (or a library it unpickles) imports a package missing from its "
            "environment. Add the package to the model's requirements (pip_requirements or "
            "extra_pip_requirements when logging it), or include the code with code_paths, "
            "then log the model again and update the endpoint."
        ),
        patterns=(
            r"\bModuleNotFoundError\b",
            r"\bNo module named\b",
            r"\bImportError\b",
            r"\bcannot import name\b",
        ),
    ),
    Signature(
        id="gpu-error",
        title="A GPU / CUDA error",
        advice=(
            "The model failed on the GPU: out of GPU memory, no GPU visible, or a CUDA/driver "
            "mismatch. Pick a larger GPU workload type, load the model in lower precision or "
            "with a smaller batch, or align the CUDA version of torch/tensorflow with the "
            "serving image's driver."
        ),
        patterns=(
            r"\bCUDA out of memory\b",
            r"\bOutOfMemoryError: CUDA\b",
            r"\bCUDA error\b",
            r"\bno CUDA-capable device\b",
            r"\bNo CUDA GPUs are available\b",
            r"\bNVIDIA driver\b",
            r"\bCUDA driver version is insufficient\b",
            r"\bcudaError\w*",
            r"\bCUBLAS_STATUS_\w+",
            r"\bCUDNN_STATUS_\w+",
            r"\bNCCL error\b",
        ),
    ),
    Signature(
        id="out-of-memory",
        title="Out of memory: the process was killed",
        advice=(
            "The model needs more memory than its workload size gives it. Choose a larger "
            "workload size, load a smaller model (quantized, fewer weights in memory) or "
            "avoid copying large objects while loading."
        ),
        patterns=(
            r"\bMemoryError\b",
            r"\bmemory limit exceeded\b",
            r"\bexceeded its memory limit\b",
            r"\bOOMKilled\b",
            r"\bOut of memory\b",
            r"\bCannot allocate memory\b",
            r"\bstd::bad_alloc\b",
            r"(?-i:(?:^|\s)Killed\s*$)",  # the shell's word for a SIGKILL, as it prints it
            r"\bexit(?:ed with)? code:? 137\b",
            r"\bsignal 9\b",
            r"\bSIGKILL\b",
        ),
    ),
    Signature(
        id="timeout",
        title="The model took too long",
        advice=(
            "Loading the model (or starting its server) took longer than the time allowed. "
            "Make the load faster (smaller artifacts, no downloads or training at load time, "
            "work moved to build time), or ask for a longer timeout where one can be set."
        ),
        patterns=(
            r"\btimed out\b",
            r"\bdeadline exceeded\b",
            r"\bDEADLINE_EXCEEDED\b",
            r"\bTimeoutError\b",
            r"\bnot healthy after \d+ s\b",
            r"\bWORKER TIMEOUT\b",
        ),
    ),
    Signature(
        id="model-load-error",
        title="The model raised an error while loading",
        advice=(
            "The model's own code failed while it was being loaded (load_context, the "
            "loader module, or unpickling its artifacts). Read the traceback quoted here, fix "
            "the model, log a new version and update the endpoint. Loading it locally with "
            "mlflow.pyfunc.load_model shows the same error."
        ),
        patterns=(
            r"\bmodel failed to load\b",
            r"\bFailed to load (?:the )?model\b",
            r"\b(?:error|exception) (?:while )?loading (?:the )?model\b",
            r"\bwhile loading (?:the )?model\b",
            r"\bin load_context\b",
            r"\bException in worker process\b",
            r"\bWorker failed to boot\b",
        ),
    ),
)


# Reading logs ---------------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    """The lines of `text` as `serving_panel.logs` numbers them, without terminal escapes."""
    if not text:
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [strip_ansi(line.rstrip("\r")) for line in lines]


def _quoted(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MAX_QUOTED_CHARS else text[: MAX_QUOTED_CHARS - 1] + "…"


def diagnose_all(
    build_log: str,
    server_log: str,
    state_message: str = "",
    *,
    signatures: Sequence[Signature] = SIGNATURES,
) -> list[Diagnosis]:
    """Every cause whose signature matches, in the table's order (the likeliest first). Each
    quotes up to MAX_QUOTED log lines (the build log's, then the server log's), then the state
    message when it matches too."""
    logs: list[tuple[LogKind, list[str]]] = [
        ("build", _lines(build_log)),
        ("server", _lines(server_log)),
    ]
    message = strip_ansi(state_message).strip()
    found = []
    for signature in signatures:
        evidence = list(itertools.islice(_evidence(signature, logs), MAX_QUOTED))
        if message and signature.matches(message[:_MAX_SEARCHED_CHARS]):
            evidence.append(Evidence("state", None, _quoted(message)))
        if evidence:
            found.append(
                Diagnosis(
                    cause=signature.id,
                    title=signature.title,
                    advice=signature.advice,
                    evidence=tuple(evidence),
                )
            )
    return found


def _evidence(
    signature: Signature, logs: Iterable[tuple[LogKind, list[str]]]
) -> Iterable[Evidence]:
    for kind, lines in logs:
        if kind not in signature.logs:
            continue
        for number, line in enumerate(lines, start=1):
            if signature.matches(line[:_MAX_SEARCHED_CHARS]):
                yield Evidence(kind, number, _quoted(line))


def diagnose(
    build_log: str,
    server_log: str,
    state_message: str = "",
    *,
    signatures: Sequence[Signature] = SIGNATURES,
) -> Diagnosis | None:
    """The likeliest cause of a failed deployment, or None when no signature matches."""
    found = diagnose_all(build_log, server_log, state_message, signatures=signatures)
    return found[0] if found else None
