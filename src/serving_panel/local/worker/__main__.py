"""`python -m serving_panel.local.worker MODEL_DIR --fd N [--concurrency C] [--name NAME]`."""

import os
import sys

from serving_panel.local.worker.process import main

code = main()
sys.stdout.flush()
# Not sys.exit: model or library threads that are still running must not delay the exit.
os._exit(code)
