"""``python -m fileproc_sandbox up | down | status`` (the Makefile's sandbox-* targets)."""

import sys

from fileproc_sandbox.control import main

sys.exit(main())
