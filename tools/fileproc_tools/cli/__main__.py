import sys

from fileproc_tools.cli.main import main

sys.exit(main())
