"""``python -m qoderlog`` and the ``qoderlog`` command: the CLI, with ``--version`` answered before click loads.

``qoderlog --version`` is asked by scripts and installers that only want the version: importing click and
building the commands would cost it twice the interpreter's own start-up, so this answers it with the line
click's ``version_option`` prints (``tests/test_cli.py`` checks that both print the same).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading

from .version import __version__

VERSION_LINE = f"qoderlog, version {__version__}"
"""What ``qoderlog --version`` prints (click's ``version_option`` message, ``%(prog)s, version %(version)s``)."""


def main() -> None:
    """Entry point of the ``qoderlog`` command: the version at once, everything else through the CLI."""
    if sys.argv[1:] == ["--version"]:
        sys.stdout.write(VERSION_LINE + "\n")
        return
    from .cli import main as run_cli  # startup: click and the commands, for everything but --version

    pin_malloc()
    try:
        run_cli()
    except SystemExit as done:
        leave(done.code)
    leave(0)


MMAP_THRESHOLD = 128 << 10
"""Allocations from this size on get their own pages from the OS, given back when freed (glibc's first default)."""
_M_MMAP_THRESHOLD = -3
"""glibc's ``mallopt`` parameter number for it."""


def pin_malloc(threshold: int = MMAP_THRESHOLD) -> bool:
    """Fix glibc's mmap threshold at ``threshold``; whether it was set (``False`` off Linux or off glibc).

    glibc raises the threshold to the size of each big block freed (up to 32 MiB), so that a reader's blocks and
    a pool's results (a few MiB each) then come from the heap, where the small values kept between them stop
    it from shrinking: on a 5M-line analysis that was ~12 MB of the peak. Pinned, big blocks go back to the OS
    when freed. Asked once by the command (and inherited by its forked workers), not by the library, which
    leaves a notebook's process as it is.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes  # 4 ms: only the command pins it, once

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, threshold))


def leave(code: object) -> None:
    """End the process with ``code`` as ``SystemExit`` would, without the interpreter's teardown when it is alone.

    Python's teardown frees every object and module one by one: ~50 ms after
    a small bundle's analysis (a tenth of the run), ~0.25 s after a batch.
    The OS takes the memory back at once. So once the output is flushed and
    the exit handlers have run (``atexit``: finalizers, multiprocessing's
    cleanup), a process with no other thread and no child process left ends
    with ``os._exit``; otherwise it exits the usual way, which waits for them.
    """
    if isinstance(code, str):
        sys.stderr.write(code + "\n")
    status = code if isinstance(code, int) else (0 if code is None else 1)
    pool = sys.modules.get("multiprocessing")
    children = pool.active_children() if pool is not None else []
    if threading.active_count() > 1 or children:
        sys.exit(status)
    for stream in (sys.stdout, sys.stderr):
        # A closed pipe (``qoderlog … | head``) or a closed stream: nothing is left to flush to.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    atexit._run_exitfuncs()
    os._exit(status)


if __name__ == "__main__":
    main()
