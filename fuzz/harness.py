"""What every harness here shares: hand ``test_one_input`` to atheris and run it (``python fuzz/fuzz_X.py ARGS``)."""

from __future__ import annotations

import sys
from collections.abc import Callable

import atheris


def main(test_one_input: Callable[[bytes], None]) -> None:
    """Fuzz ``test_one_input`` with libFuzzer's command line (corpus folders, -max_total_time, …) from ``sys.argv``."""
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
