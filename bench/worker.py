"""Entry point of the measuring subprocesses: ``python -m bench.worker module:function JSON``.

Imports nothing but the standard library before calling the function (whose
module is imported then), so that an import-time measurement starts from a
fresh interpreter; prints the function's result as one JSON line.
"""

from __future__ import annotations

import importlib
import json
import sys


def main(argv: list[str]) -> int:
    target, arguments = argv[0], json.loads(argv[1])
    module_name, _, function_name = target.partition(":")
    function = getattr(importlib.import_module(module_name), function_name)
    result = function(**arguments)
    sys.stdout.write("\n" + json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
