import sys

from fileproc_cli.main import main

sys.exit(main())
