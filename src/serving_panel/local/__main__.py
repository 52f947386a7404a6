"""`python -m serving_panel.local COMMAND ...`, the same as `serving-panel local COMMAND ...`."""

from serving_panel.local.cli import main

raise SystemExit(main())
