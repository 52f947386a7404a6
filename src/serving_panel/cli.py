"""The `serving-panel` command line."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from serving_panel._version import __version__


def build_parser() -> argparse.ArgumentParser:
    from serving_panel.local.cli import add_parser

    parser = argparse.ArgumentParser(
        prog="serving-panel",
        description="Manage Databricks Model Serving endpoints from a notebook.",
    )
    parser.add_argument("--version", action="version", version=f"serving-panel {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "local":
        from serving_panel.local.cli import run

        return run(args)
    parser.print_help()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
