"""A log file's name → its stream and rotation index (``main.log.2.gz`` is the third-newest ``main.log``).

Its own module, without the readers of ``sources``, so that the sessions and the rules (and ``qoderlog rules``)
do not load the archive and decompression modules to group events by stream.
"""

from __future__ import annotations

import re
from functools import lru_cache

_ROTATED = re.compile(r"(?i)^(?P<stem>.*?\.log)\.(?P<n>\d+)$")


@lru_cache(maxsize=4096)
@lru_cache(maxsize=4096)  # asked of every lifecycle event; a bundle has few sources
def stream_key(name: str) -> tuple[str, int]:
    """``("…/main.log", 2)`` for ``…/main.log.2.gz``: the log stream and its rotation index.

    The live file has index 0; a higher index is older.
    """
    base = name[:-3] if name.lower().endswith(".gz") else name
    match = _ROTATED.match(base)
    if match:
        return match["stem"], int(match["n"])
    return base, 0
