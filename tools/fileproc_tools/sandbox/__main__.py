"""``python -m fileproc_tools.sandbox up | down | status`` (the Makefile's sandbox-* targets)."""

import sys

from fileproc_tools.sandbox.control import main

sys.exit(main())
