"""The reply's languages: the compiled gettext catalogs in ``qoderlog/locale/``, read with the stdlib.

Strings of the reply (``reporters/reply_report.py``) and every playbook step's
text (``rules/playbooks/*.yaml``) are messages of the ``qoderlog`` domain;
``<locale>/LC_MESSAGES/qoderlog.po`` holds each language's translations and
the compiled ``.mo`` beside it is committed, so an install needs no Babel.
``qoderlog.catalogs`` (Babel, the ``dev`` extra) extracts, updates and compiles them.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "qoderlog"
LANGUAGES: Mapping[str, str] = {"en": "en", "zh-CN": "zh_CN"}
"""``--lang`` value → gettext locale folder."""


@cache
def translation(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of ``lang`` (``en`` or ``zh-CN``); ``KeyError`` for another language."""
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[LANGUAGES[lang]])
