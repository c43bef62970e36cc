"""The generator's data files: ``data/*.yaml`` read once, with checks that name the file and the item.

Takes a file name and gives its parsed content; ``fields`` checks one item's
keys so that a misspelt key in a data file is an error, not a silent default.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import yaml

# libyaml's loader parses the data ten times faster than the pure-Python one (13 ms against 140 ms on
# import); both build the same values, and the pure-Python one stands in where libyaml is missing.
# (The same choice as patterns.py makes for the pattern library.)
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def load(name: str) -> Any:
    """The parsed ``data/<name>.yaml`` of this package (read once per process)."""
    text = resources.files(__package__).joinpath("data", f"{name}.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=_LOADER)


def fields(item: Mapping[str, Any], *, where: str, required: frozenset[str], optional: frozenset[str]) -> None:
    """Raise ``ValueError`` naming ``where`` if ``item`` lacks a required key or has an unknown one."""
    missing = required - set(item)
    unknown = set(item) - required - optional
    if missing or unknown:
        raise ValueError(
            f"{where}: missing {sorted(missing)}, unknown {sorted(unknown)}; "
            f"allowed keys are {sorted(required | optional)}"
        )
