"""``python -m qoderlog``: the same CLI as the ``qoderlog`` command."""

from .cli import main

main()
