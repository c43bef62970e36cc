"""Seeded, deterministic generator of realistic Qoder / VS Code log files: data plus a small program.

Takes a seed and gives log text: the committed samples in ``sample_logs/``
(each a field situation of the catalog, with several hundred lines of VS
Code noise around the Qoder lines), a streaming benchmark corpus of any size
(``write_corpus``), an inbox of zipped uploads (``write_inbox``) and the
reusable building blocks a fleet generator needs (``render_scenario`` →
``frame`` / ``scenario_lines``).

What is generated is data, in ``data/``: ``scenarios.yaml`` (steps, blocks,
timings), ``noise.yaml`` (noise templates and the words they are filled
with), ``samples.yaml`` (the committed samples), ``mixes.yaml`` (scenario and
noise weights of the corpus, the inbox and a single-scenario log) and
``hosts.yaml`` (user names, versions). The code is split by job:

- ``hosts``: ``Host`` (platform, user, paths) and ``Sidecar`` (pid, port, endpoint);
- ``scenarios``: ``Step``/``Scenario`` read from the data, ``render_scenario``;
- ``framings``: ``Entry``, ``frame`` (catalog §2 framings and those real pastes add) and ``paste``;
- ``noise``: ``Noise`` records and ``interleave``;
- ``encodings``: codecs, BOMs, line endings, gzip and zip, the fake minidump;
- ``corpus``: ``scenario_lines`` and the streaming ``write_corpus``;
- ``inbox``: ``write_inbox``;
- ``samples``: ``SAMPLES`` and ``write_samples``.

Nothing reads the clock: the same seed gives byte-identical output. The one
entry point is ``qoderlog synth …`` (``samples``, ``corpus``, ``inbox``).
"""

from __future__ import annotations

from .corpus import scenario_lines, write_corpus
from .framings import FRAMINGS, PASTE_STYLES, Channel, Entry, Framing, PasteStyle, frame, paste
from .hosts import PLATFORMS, Host, Platform, Sidecar, make_host
from .inbox import INBOX_MIX, INBOX_PLATFORMS, write_inbox
from .noise import NOISE_FLAVOURS, Noise, interleave
from .samples import SAMPLES, write_samples
from .scenarios import SCENARIOS, TIMINGS, Rendering, Scenario, Step, Timing, render_scenario

__all__ = [
    "FRAMINGS",
    "INBOX_MIX",
    "INBOX_PLATFORMS",
    "NOISE_FLAVOURS",
    "PASTE_STYLES",
    "PLATFORMS",
    "SAMPLES",
    "SCENARIOS",
    "TIMINGS",
    "Channel",
    "Entry",
    "Framing",
    "Host",
    "Noise",
    "PasteStyle",
    "Platform",
    "Rendering",
    "Scenario",
    "Sidecar",
    "Step",
    "Timing",
    "frame",
    "interleave",
    "make_host",
    "paste",
    "render_scenario",
    "scenario_lines",
    "write_corpus",
    "write_inbox",
    "write_samples",
]
