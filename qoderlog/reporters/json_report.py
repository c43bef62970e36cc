"""The JSON report: the ``Analysis`` document as validated by ``schemas/analysis.schema.json``.

Values are raw unless ``options.redact`` (``--redact``): then every string of
the document goes through one ``Redactor``, so placeholders are consistent.
"""

from __future__ import annotations

import json
from typing import IO

from ..engine import Result
from ..redact import redact_document
from .base import RenderOptions


def render(result: Result, out: IO[str], options: RenderOptions) -> None:
    """Write the analysis as one JSON document (redacted when ``options.redact``).

    The text is written piece by piece as it is encoded (``json.dump``), never
    held whole: for a big bundle the encoder's pieces would weigh several
    times the document.
    """
    # Redaction reads the whole document before it changes a string (placeholders consistent across it): only an
    # unredacted document is streamed.
    document = redact_document(result.to_dict()) if options.redact else result.to_dict(streamed=True)
    json.dump(document, out, indent=2, ensure_ascii=False, default=str)
    out.write("\n")
