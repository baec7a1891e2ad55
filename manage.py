#!/usr/bin/env python
"""Django's manage.py; the installed ``epitrace`` command is the same thing."""

from epitrace.cli import main

if __name__ == "__main__":
    main()
