"""Where the data folders of the repo (``patterns/``, ``reports/``) are, in a checkout or a wheel; the cache
folder; the version.

In a source checkout (and an editable install) they sit beside the package;
a wheel installs them as data files under ``share/qoderlog/<folder>``.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path

from .errors import QoderlogError
from .version import __version__


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


CACHE_ENV = "QODERLOG_CACHE_DIR"
"""The environment variable that moves the cache folder (an absolute path) or turns the cache off (``off``)."""


def cache_dir() -> Path | None:
    """The folder of qoderlog's rebuildable caches, or ``None`` when they are off.

    ``$QODERLOG_CACHE_DIR`` when it is an absolute path (``off`` turns caching
    off: a nightly worker with a read-only or shared home, a test), else
    ``%LOCALAPPDATA%\\qoderlog\\Cache`` on Windows, ``$XDG_CACHE_HOME/qoderlog``
    or ``~/.cache/qoderlog``. Safe to delete; it may not exist yet.
    """
    chosen = os.environ.get(CACHE_ENV, "")
    if chosen.strip().lower() == "off":
        return None
    if os.path.isabs(chosen):
        return Path(chosen)
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "qoderlog" / "Cache"
    base = os.environ.get("XDG_CACHE_HOME") or ""
    # The XDG spec: a relative XDG_CACHE_HOME is invalid and to be ignored.
    return (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / "qoderlog"


def package_version() -> str:
    """This qoderlog's version (``qoderlog.__version__``, which the distribution's metadata is built from)."""
    return __version__
