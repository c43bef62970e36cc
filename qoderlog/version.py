"""The release, in one place: the distribution's metadata (``pyproject.toml``'s ``dynamic``) is read from here."""

__version__ = "0.1.0"
