"""The gettext catalogs' upkeep with Babel (the ``dev`` extra): extract, update, compile — and the playbook extractor.

``python -m qoderlog.catalogs`` extracts ``qoderlog/locale/qoderlog.pot`` as
``babel.cfg`` (top of the repo) says — the reply's ``_()`` strings and every
playbook step's text, through ``extract_playbooks`` — updates each language's
``.po`` (English filled from the source; a new Chinese string is left empty
and listed, for a translator), and compiles the ``.mo`` files that ship.
"""

from __future__ import annotations

from collections.abc import Iterator
from io import StringIO
from typing import IO, Any

import yaml
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from .i18n import DOMAIN, LANGUAGES, LOCALE_DIR


def extract_playbooks(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Babel extraction method for ``rules/playbooks/*.yaml``: every step's ``text``, with its line."""
    loader = yaml.SafeLoader(fileobj.read().decode("utf-8"))
    try:
        root = loader.get_single_node()
    finally:
        loader.dispose()
    yield from _texts(root)


def _texts(node: yaml.Node) -> Iterator[tuple[int, str | None, str, list[str]]]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "text" and isinstance(value, yaml.ScalarNode):
                yield value.start_mark.line + 1, None, " ".join(value.value.split()), ["playbook step"]
            else:
                yield from _texts(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _texts(item)


def extract_template() -> Catalog:
    """The message template: every string ``babel.cfg`` names, with where it comes from."""
    root = LOCALE_DIR.parents[1]
    method_map, options_map = parse_mapping_cfg(  # type: ignore[no-untyped-call]  # Babel leaves it untyped
        StringIO((root / "babel.cfg").read_text(encoding="utf-8"))
    )
    template = Catalog(project="qoderlog", domain=DOMAIN)
    for filename, lineno, message, comments, context in extract_from_dir(root, method_map, options_map):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def update_catalogs() -> list[str]:
    """Extract the template, update the ``.po`` of every language, compile every ``.mo``; the untranslated ids."""
    template = extract_template()
    with open(LOCALE_DIR / f"{DOMAIN}.pot", "wb") as out:
        write_po(out, template, omit_header=True, sort_output=True, width=120, include_lineno=False)
    missing: list[str] = []
    for lang, folder in LANGUAGES.items():
        path = LOCALE_DIR / folder / "LC_MESSAGES" / f"{DOMAIN}.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with open(path, "rb") as source:
                catalog = read_po(source, locale=folder)
        else:
            catalog = Catalog(locale=folder, domain=DOMAIN, project="qoderlog")
        created = catalog.creation_date
        catalog.update(extract_template(), no_fuzzy_matching=True)  # a fresh template: update shares its messages
        if path.exists():
            catalog.creation_date = created  # the header changes only with the messages, not with every run
        catalog.fuzzy = False
        catalog.obsolete.clear()
        for message in catalog:
            if not message.id:
                continue
            if lang == "en":
                message.string = message.id
            message.flags.discard("fuzzy")
            if not message.string:
                missing.append(f"{lang}: {message.id}")
        with open(path, "wb") as out:
            write_po(out, catalog, omit_header=False, sort_output=True, width=120, include_lineno=False)
        with open(path.with_suffix(".mo"), "wb") as out:
            write_mo(out, catalog)
    return missing


if __name__ == "__main__":
    for untranslated in update_catalogs():
        print(f"untranslated: {untranslated}")
