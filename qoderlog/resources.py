"""Where the data folders of the repo (``patterns/``, ``reports/``) are, in a checkout or a wheel; the version.

In a source checkout (and an editable install) they sit beside the package;
a wheel installs them as data files under ``share/qoderlog/<folder>``.
"""

from __future__ import annotations

import sysconfig
from functools import lru_cache
from pathlib import Path

from .errors import QoderlogError


def resource_dir(folder: str, marker: str) -> Path:
    """The ``folder`` that holds the file ``marker``: the checkout's first, then the installed data files."""
    local = Path(__file__).resolve().parents[1] / folder
    if (local / marker).is_file():
        return local
    from importlib import metadata  # 30 ms to import: only a wheel install needs it

    try:
        files = metadata.distribution("qoderlog").files or []
    except metadata.PackageNotFoundError:
        files = []
    for item in files:
        if item.name == marker and folder in item.parts:
            return Path(str(item.locate())).resolve().parent
    installed = Path(sysconfig.get_path("data")) / "share" / "qoderlog" / folder
    if (installed / marker).is_file():
        return installed
    raise QoderlogError(f"{folder}/ not found (looked in {local} and {installed})", hint="reinstall qoderlog")


@lru_cache(maxsize=1)
def package_version() -> str:
    """The installed qoderlog's version (``unknown`` when it is not installed)."""
    from importlib import metadata  # 30 ms to import: only a report's generator line needs it

    try:
        return metadata.version("qoderlog")
    except metadata.PackageNotFoundError:
        return "unknown"
