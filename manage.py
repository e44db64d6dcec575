#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thinktank.settings")
    # Writing migrations is development work that never serves or touches live data: it
    # runs without configuration. Everything else refuses to start unconfigured.
    if sys.argv[1:2] == ["makemigrations"] and "DJANGO_SECRET_KEY" not in os.environ:
        os.environ.setdefault("DJANGO_DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
