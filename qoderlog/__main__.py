"""``python -m qoderlog`` and the ``qoderlog`` command: the CLI, with ``--version`` answered before click loads.

``qoderlog --version`` is asked by scripts and installers that only want the version: importing click and
building the commands would cost it twice the interpreter's own start-up, so this answers it with the line
click's ``version_option`` prints (``tests/test_cli.py`` checks that both print the same).
"""

from __future__ import annotations

import sys

from .version import __version__

VERSION_LINE = f"qoderlog, version {__version__}"
"""What ``qoderlog --version`` prints (click's ``version_option`` message, ``%(prog)s, version %(version)s``)."""


def main() -> None:
    """Entry point of the ``qoderlog`` command: the version at once, everything else through the CLI."""
    if sys.argv[1:] == ["--version"]:
        sys.stdout.write(VERSION_LINE + "\n")
        return
    from .cli import main as run_cli  # startup: click and the commands, for everything but --version

    run_cli()


if __name__ == "__main__":
    main()
