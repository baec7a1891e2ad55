"""The ``epitrace`` console command: Django's management commands, with our settings.

Exit codes follow docs/cli.md: 0 done, 1 the command failed, 2 usage error.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    if args and not args[0].startswith("-"):
        # `epitrace demo-code` and `epitrace demo_code` are the same command.
        args[0] = args[0].replace("-", "_")
    execute_from_command_line(["epitrace", *args])


if __name__ == "__main__":
    main()
