"""`serving-panel local ...`: run a local workspace and manage its identities and models."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

DEFAULT_DATA_DIR = Path(os.environ.get("SERVING_PANEL_DATA_DIR", "~/.serving-panel/local"))


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    local = subparsers.add_parser(
        "local",
        help="run a local workspace (a Databricks-compatible serving-endpoints server)",
        description="Run a local workspace and manage its users, groups, tokens and models.",
    )
    commands = local.add_subparsers(dest="local_command", required=True, metavar="COMMAND")

    def data_dir_option(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=DEFAULT_DATA_DIR,
            help="where the workspace keeps its state (default: %(default)s, "
            "or $SERVING_PANEL_DATA_DIR)",
        )

    start = commands.add_parser("start", help="serve the workspace until Ctrl-C")
    data_dir_option(start)
    start.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    start.add_argument("--port", type=int, default=8765, help="port (0 picks a free one)")
    start.add_argument("--seed", choices=["demo"], help="add demo models, endpoints and users")
    start.add_argument(
        "--enable-faults",
        action="store_true",
        help="turn on /__local/faults (inject 429/503 answers and latency)",
    )
    start.add_argument(
        "--min-update-seconds",
        type=_seconds,
        metavar="S",
        help="keep every update IN_PROGRESS at least this long, its build steps spread over it "
        "(default: $SERVING_PANEL_MIN_UPDATE_S, else 2; 0 for no wait)",
    )
    start.add_argument("--json", action="store_true", help="print one JSON line when ready")
    # Used by LocalWorkspace.start(): tie the server to the process that started it.
    start.add_argument("--exit-with-stdin", action="store_true", help=argparse.SUPPRESS)
    start.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)
    start.add_argument(
        "--log-level", default="warning", choices=["debug", "info", "warning", "error"]
    )

    user = commands.add_parser("add-user", help="add a user and print a token for them")
    data_dir_option(user)
    user.add_argument("email")
    user.add_argument("--group", action="append", default=[], help="a group to join (repeatable)")
    user.add_argument("--display-name")

    group = commands.add_parser("add-group", help="add a group")
    data_dir_option(group)
    group.add_argument("name")
    group.add_argument("--member", action="append", default=[], help="a member (repeatable)")

    sp = commands.add_parser(
        "add-service-principal", help="add a service principal and print its id and a token"
    )
    data_dir_option(sp)
    sp.add_argument("display_name")
    sp.add_argument("--application-id")
    sp.add_argument("--group", action="append", default=[])

    token = commands.add_parser("token", help="print a new token for a user or service principal")
    data_dir_option(token)
    token.add_argument("name", help="a user's email or a service principal's application id")

    revoke = commands.add_parser(
        "revoke-token", help="revoke a token: requests with it get 401 from then on"
    )
    data_dir_option(revoke)
    revoke.add_argument("token", help="the token to revoke (read from stdin when '-')")

    model = commands.add_parser("register-model", help="register an MLflow pyfunc model directory")
    data_dir_option(model)
    model.add_argument("name", help="model name; Unity Catalog names (catalog.schema.model) work")
    model.add_argument("path", type=Path)
    model.add_argument("--version", type=int)


def _seconds(text: str) -> float:
    """A duration argument: a finite number of seconds, at least 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number of at least 0, got {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    from serving_panel.local.models.errors import ModelStoreError
    from serving_panel.local.state.errors import ApiError
    from serving_panel.local.state.private import PRIVATE_UMASK

    # Whatever this process writes in the data directory is its owner's alone (state/private.py).
    os.umask(PRIVATE_UMASK)
    data_dir: Path = args.data_dir.expanduser()
    try:
        if args.local_command == "start":
            return _start(args, data_dir)
        return _manage(args, data_dir)
    except (ApiError, ModelStoreError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _start(args: argparse.Namespace, data_dir: Path) -> int:
    from serving_panel.local import lifeline
    from serving_panel.local.api.server import serve
    from serving_panel.local.workspace import Workspace

    if args.parent_pid is not None:
        lifeline.die_with_parent(args.parent_pid)

    def ready(host: str, workspace: Workspace) -> None:
        if args.json:
            print(json.dumps({"host": host, "pid": os.getpid()}), flush=True)
            return
        print(
            f"Local workspace at {host} (data in {data_dir})\n"
            f"Admin token: {workspace.admin_token}\n\n"
            f"  export DATABRICKS_HOST={host}\n"
            f"  export DATABRICKS_TOKEN={workspace.admin_token}\n\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )

    serve(
        data_dir,
        host=args.host,
        port=args.port,
        seed=args.seed,
        enable_faults=args.enable_faults,
        on_ready=ready,
        log_level=args.log_level,
        exit_with_stdin=args.exit_with_stdin,
        min_update_s=args.min_update_seconds,
    )
    return 0


def _manage(args: argparse.Namespace, data_dir: Path) -> int:
    from serving_panel.local import identities
    from serving_panel.local.models.registry import ModelStore
    from serving_panel.local.state.private import make_private
    from serving_panel.local.workspace import admin_token, open_store

    if args.local_command == "register-model":
        model = ModelStore(data_dir / "models").register(args.name, args.path, args.version)
        make_private(data_dir)  # the copy kept the source files' modes
        print(f"registered {model.name} version {model.version}")
        return 0
    store = open_store(data_dir)
    try:
        admin_token(data_dir, store)  # a fresh data directory gets its admin first
        if args.local_command == "add-user":
            print(identities.add_user(store, args.email, args.group, args.display_name))
        elif args.local_command == "add-group":
            identities.add_group(store, args.name, args.member)
            print(f"group {args.name} ready")
        elif args.local_command == "add-service-principal":
            app_id, token = identities.add_service_principal(
                store, args.display_name, args.application_id, args.group
            )
            print(f"application id: {app_id}\ntoken: {token}")
        elif args.local_command == "token":
            print(identities.token_for(store, args.name))
        elif args.local_command == "revoke-token":
            token = sys.stdin.readline() if args.token == "-" else args.token  # noqa: S105
            identities.revoke_token(store, token)
            print("token revoked")
    finally:
        store.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="serving-panel")
    subparsers = parser.add_subparsers(dest="command", required=True)
    add_parser(subparsers)
    args = parser.parse_args(["local", *(argv if argv is not None else sys.argv[1:])])
    return run(args)
