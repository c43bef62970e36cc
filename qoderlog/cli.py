"""The command line: ``qoderlog analyze``, ``parse``, ``rules`` and ``patterns``.

The one place that maps errors to exit codes: 0 success; 1 a finding at or
above ``--fail-on``; 2 usage or configuration errors (bad option, bad
pattern or config file); 3 when no input could be read at all. Problems
with single inputs — unreadable, binary, or over a bound of ``Limits`` — are
one-line warnings on stderr naming the input and the reason, and entries in
the accounting; the other inputs are still read.

Why one module past 600 lines: it is the one front door, every command a
thin wrapper (options, then one call below); the commands' own start-up
deferrals (``# startup:``) are allowed here only. Split it into a package by
command group (reading, nightly, library) when it grows further.
"""

from __future__ import annotations

import dataclasses
import io
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from .errors import QoderlogError, UsageError
from .i18n import LANGUAGES
from .limits import DEFAULT_LIMITS, Limits
from .model import Severity
from .reporters import REDACTED_BY_DEFAULT, REPORTERS, RenderOptions
from .version import __version__

if TYPE_CHECKING:
    from .events import Accounting, Progress
    from .patterns import PatternSet

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_NO_INPUT = 3
MAX_IGNORED_SHOWN = 5
"""Files not read named one by one in the warning; the rest are counted (all are in the accounting)."""

_STATS_FORMATS = ("text", "json")
PROGRESS_DELAY_S = 1.0
"""A source's bar appears once its reading has taken this long: short runs never show one."""


def main() -> None:
    """Entry point of the ``qoderlog`` command."""
    try:
        cli.main(standalone_mode=False, prog_name="qoderlog")
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except click.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except QoderlogError as exc:
        click.echo(f"qoderlog: error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(EXIT_OK)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, prog_name="qoderlog")
def cli() -> None:
    """Diagnose Qoder IDE logs: the Go sidecar's starts, IPC, cleanups, crashes.

    \b
    Exit status: 0 success; 1 a finding at or above --fail-on (analyze);
    2 usage or configuration error (bad option, bad pattern or config
    file); 3 no input could be read at all.
    """


def _load(pattern_dirs: tuple[str, ...]) -> PatternSet:
    from .patterns import load_patterns  # startup: the pattern library, only for the commands that read logs

    return load_patterns(pattern_dirs)


@contextmanager
def _output(path: str | None, *, binary: bool = False) -> Iterator[IO[Any]]:
    if path is None:
        yield sys.stdout.buffer if binary else sys.stdout
        return
    with open(
        path, "wb" if binary else "w", encoding=None if binary else "utf-8", newline=None if binary else ""
    ) as handle:
        yield handle


def _warn_inputs(accounting: Accounting) -> None:
    for report in accounting.problems():
        click.echo(f"qoderlog: warning: {report.source}: {report.reason}", err=True)
    for report in accounting.inputs:
        if report.warning:
            click.echo(f"qoderlog: warning: {report.source}: {report.warning}", err=True)
    ignored = accounting.ignored()
    if ignored:
        shown = "; ".join(f"{r.source} ({r.reason})" for r in ignored[:MAX_IGNORED_SHOWN])
        more = f"; and {len(ignored) - MAX_IGNORED_SHOWN} more" if len(ignored) > MAX_IGNORED_SHOWN else ""
        click.echo(f"qoderlog: warning: {len(ignored)} file(s) not read: {shown}{more}", err=True)
    for hit in accounting.limit_hits():
        if hit.describe() not in _reason_of(accounting, hit.input):
            click.echo(f"qoderlog: warning: {hit.input}: {hit.describe()}", err=True)
    if not [r for r in accounting.inputs if r.status != "ignored"]:
        note = f" ({len(ignored)} other file(s) ignored)" if ignored else ""
        click.echo(
            f"qoderlog: warning: no log files found (*.log, *.log.N, *.txt, their .gz, archives){note}", err=True
        )


def _reason_of(accounting: Accounting, source: str) -> str:
    return next((r.reason or "" for r in accounting.inputs if r.source == source and r.status != "ok"), "")


def _exit_for(accounting: Accounting) -> int:
    readable = [r for r in accounting.inputs if r.status not in ("error", "ignored")]
    return EXIT_NO_INPUT if not readable else EXIT_OK


def show_progress(*, wanted: bool, stderr_tty: bool, stdout_tty: bool, output: str | None, streams: bool) -> bool:
    """Whether to draw progress bars: asked for, on a terminal, and not amid output written to that terminal.

    The bars go to stderr, so only a terminal there sees them (never a pipe, a file or a JSON reader); a
    command that ``streams`` its output to stdout while it reads (``parse`` without ``--stats``) gets none
    while stdout is a terminal too, so bars and events do not interleave.
    """
    return wanted and stderr_tty and not (streams and output is None and stdout_tty)


def _progress(show: bool) -> Progress | None:
    """A tqdm bar per source on stderr (bytes read of its size, with the rate), or ``None`` for no bars."""
    if not show:
        return None

    @contextmanager
    def bar(name: str, total: int | None) -> Iterator[Callable[[int], object]]:
        from tqdm import tqdm  # tqdm: only when drawing on a terminal

        with tqdm(
            desc=name if len(name) <= 40 else "…" + name[-39:],
            total=total,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            delay=PROGRESS_DELAY_S,
            leave=False,
            file=sys.stderr,
        ) as shown:
            yield lambda done: shown.update(done - shown.n)

    return bar


def _progress_wanted(no_progress: bool, output: str | None, *, streams: bool) -> Progress | None:
    return _progress(
        show_progress(
            wanted=not no_progress,
            stderr_tty=sys.stderr.isatty(),
            stdout_tty=sys.stdout.isatty(),
            output=output,
            streams=streams,
        )
    )


jobs_option = click.option(
    "--jobs",
    type=click.IntRange(min=1),
    help="Processes that read one big plain file in chunks (default: the CPUs, for a file big enough to gain; "
    "1: one pass). The result is the same.",
)
progress_option = click.option(
    "--no-progress", is_flag=True, help="No progress bar (one is shown on a terminal for inputs that take a while)."
)


pattern_option = click.option(
    "--patterns",
    "pattern_dirs",
    multiple=True,
    type=click.Path(exists=True, file_okay=False),
    help="A folder of your own *.yaml patterns, added to the built-in ones (repeatable).",
)


_LIMIT_FLAGS: dict[str, tuple[str, type, str]] = {
    "max_bytes": ("--max-bytes", int, "Decompressed bytes read per input path (or upload)."),
    "max_members": ("--max-members", int, "Files read per folder or archive."),
    "max_ratio": ("--max-ratio", float, "Compression ratio of a gzip file or archive member."),
    "max_line": ("--max-line", int, "Characters per line; longer lines are cut, counted and flagged."),
    "max_json_depth": ("--max-json-depth", int, "Nesting of a JSON log line read as JSON."),
    "regex_timeout_s": ("--regex-timeout", float, "Seconds a user pattern may run on one line."),
}


def limit_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--config`` (its ``[limits]`` table) and one flag per input limit; see ``qoderlog.limits.Limits``."""
    for name, (flag, kind, text) in reversed(_LIMIT_FLAGS.items()):
        default = getattr(DEFAULT_LIMITS, name)
        command = click.option(
            flag,
            name,
            type=click.FloatRange(min=0, min_open=True) if kind is float else click.IntRange(min=1),
            help=f"{text} [default: {default:g}]" if isinstance(default, float) else f"{text} [default: {default}]",
        )(command)
    return click.option(
        "--config",
        "config_path",
        type=click.Path(exists=True, dir_okay=False),
        help="Rule thresholds and input [limits] (TOML/YAML).",
    )(command)


def _limits(config_path: str | None, flags: dict[str, Any]) -> Limits:
    """The defaults, then the config file's ``[limits]``, then the flags given."""
    base = DEFAULT_LIMITS
    if config_path:
        from .config import load_limits  # startup: only with --config

        base = load_limits(config_path)
    given = {name: value for name, value in flags.items() if value is not None}
    return dataclasses.replace(base, **given)


def _write_events(events: Iterator[Any], fmt: str, output: str | None, patterns: PatternSet) -> None:
    _EVENT_WRITERS[fmt](events, output, patterns)


def _write_jsonl(events: Iterator[Any], output: str | None, patterns: PatternSet) -> None:
    dumps: Callable[[Any], str] = json.JSONEncoder(ensure_ascii=False, default=str).encode
    with _output(output) as out:
        for event in events:
            out.write(dumps(event.to_dict()) + "\n")


def _write_json(events: Iterator[Any], output: str | None, patterns: PatternSet) -> None:
    dumps: Callable[[Any], str] = json.JSONEncoder(ensure_ascii=False, default=str).encode
    with _output(output) as out:
        out.write("[")
        for index, event in enumerate(events):
            out.write(("\n" if index == 0 else ",\n") + dumps(event.to_dict()))
        out.write("\n]\n")


def _write_csv(events: Iterator[Any], output: str | None, patterns: PatternSet) -> None:
    from .tables import write_csv  # startup: only this format needs it

    with _output(output) as out:
        write_csv(events, out, patterns)


def _write_parquet(events: Iterator[Any], output: str | None, patterns: PatternSet) -> None:
    from .tables import write_parquet  # startup: only this format needs it

    write_parquet(events, output or "", patterns)  # parse has checked that parquet goes to a file


_EVENT_WRITERS: dict[str, Callable[[Iterator[Any], str | None, PatternSet], None]] = {
    "jsonl": _write_jsonl,
    "json": _write_json,
    "csv": _write_csv,
    "parquet": _write_parquet,
}
"""``parse``'s event formats, one writer each: (events, output path or ``None`` for stdout, the pattern library)."""


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted({*_EVENT_WRITERS, *_STATS_FORMATS})),
    help="Events: jsonl (default), json, csv, parquet. With --stats: text (default) or json.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@click.option("--stats", is_flag=True, help="Print the line accounting instead of the events.")
@jobs_option
@progress_option
@pattern_option
@limit_options
def parse(
    paths: tuple[str, ...],
    fmt: str | None,
    output: str | None,
    stats: bool,
    jobs: int | None,
    no_progress: bool,
    pattern_dirs: tuple[str, ...],
    config_path: str | None,
    **limit_flags: Any,
) -> None:
    """Turn log files, folders, archives or - (stdin) into typed events."""
    if stats and fmt not in (None, *_STATS_FORMATS):
        raise UsageError(f"--stats prints text or json, not {fmt}", hint="drop --format or use --format json")
    if not stats and fmt not in (None, *_EVENT_WRITERS):
        raise UsageError(f"events are written as {', '.join(_EVENT_WRITERS)}, not {fmt}")
    if fmt == "parquet" and output is None:
        raise UsageError("parquet output needs a file", hint="add -o events.parquet")
    from .events import Accounting, iter_events  # startup: only the commands that read logs load it

    limits = _limits(config_path, limit_flags)
    patterns = _load(pattern_dirs)
    accounting = Accounting()
    progress = _progress_wanted(no_progress, output, streams=not stats)
    events = iter_events(paths, patterns=patterns, accounting=accounting, limits=limits, progress=progress, jobs=jobs)
    if stats:
        for _ in events:
            pass
        with _output(output) as out:
            if fmt == "json":
                out.write(json.dumps(accounting.to_dict(), ensure_ascii=False) + "\n")
            else:
                out.write(format_stats(accounting))
    else:
        _write_events(events, fmt or "jsonl", output, patterns)
    _warn_inputs(accounting)
    sys.exit(_exit_for(accounting))


def format_stats(accounting: Accounting) -> str:
    """The line accounting as a short human-readable table."""
    lines = [f"lines read: {accounting.lines_read}"]
    lines += [f"  {kind:<13} {count}" for kind, count in accounting.by_kind().items()]
    lines.append(f"inputs: {len(accounting.inputs)}")
    for report in accounting.inputs:
        note = f"  [{report.status}: {report.reason}]" if report.status != "ok" else ""
        if report.warning:
            note += f"  [warning: {report.warning}]"
        if report.prefix_stripped:
            note += f"  [paste prefix stripped from {report.prefix_stripped} lines]"
        extra = ""
        if report.replacements:
            extra += f" replacements={report.replacements}"
        if report.cut_lines:
            extra += f" cut={report.cut_lines}"
        encoding = report.encoding or "-"
        lines.append(f"  {report.source}  {encoding}  {report.lines} lines{extra}{note}")
    discovery = accounting.discovery
    if discovery.minidumps:
        lines.append(f"minidumps: {len(discovery.minidumps)}")
        lines += [f"  {d.source}  {d.time.isoformat() if d.time else '?'}  {d.size} bytes" for d in discovery.minidumps]
    hits = accounting.limit_hits()
    if hits:
        lines.append(f"limits hit: {len(hits)}")
        lines += [f"  {hit.input}: {hit.describe()}" for hit in hits]
    return "\n".join(lines) + "\n"


@cli.command()
@click.argument("paths", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(sorted(REPORTERS)), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@click.option(
    "--fail-on",
    type=click.Choice([str(s) for s in Severity]),
    help="Exit 1 when a finding is at or above this severity.",
)
@click.option("--color/--no-color", default=None, help="Colour the text report (default: when on a terminal).")
@click.option(
    "--redact/--no-redact",
    default=None,
    help="Replace user names, e-mails, IPs, tokens and machine ids (default: on for html, markdown and reply).",
)
@click.option("--assets", type=click.Path(file_okay=False), help="Markdown: write chart PNGs to this folder.")
@click.option("--no-charts", is_flag=True, help="Leave the charts out.")
@click.option(
    "--lang", type=click.Choice(sorted(LANGUAGES)), default="en", show_default=True, help="The reply's language."
)
@click.option(
    "--baseline",
    type=click.Path(exists=True, file_okay=False),
    help="A warehouse: put each value in fleet context (latency rank, signature history).",
)
@jobs_option
@progress_option
@pattern_option
@limit_options
def analyze(
    paths: tuple[str, ...],
    fmt: str,
    output: str | None,
    fail_on: str | None,
    color: bool | None,
    redact: bool | None,
    assets: str | None,
    no_charts: bool,
    lang: str,
    baseline: str | None,
    jobs: int | None,
    no_progress: bool,
    pattern_dirs: tuple[str, ...],
    config_path: str | None,
    **limit_flags: Any,
) -> None:
    """Diagnose a bundle: sessions of the Go sidecar, findings with evidence and remedies.

    With no PATH, analyses the Qoder logs of this machine (what `qoderlog collect` would take).

    \b
    Exit status: 0 done (findings or not); 1 a finding at or above
    --fail-on; 2 usage/config error; 3 no input could be read.
    """
    from .engine import analyze as run_engine  # startup: only the command that needs it loads it

    config = {}
    if config_path:
        from .config import load_config  # startup: only with --config

        config = load_config(config_path)
    limits = _limits(config_path, limit_flags)
    if not paths:
        paths = _this_machines_logs()
    progress = _progress_wanted(no_progress, output, streams=False)
    analysis = run_engine(
        paths, config=config, patterns=_load(pattern_dirs), limits=limits, progress=progress, jobs=jobs
    )
    if baseline:
        from .analysis import Analysis  # startup: the notebook front door's fleet context, only with --baseline

        analysis = Analysis.of(analysis).with_baseline(baseline)
    options = RenderOptions(
        color=sys.stdout.isatty() if color is None and output is None else bool(color),
        redact=fmt in REDACTED_BY_DEFAULT if redact is None else redact,
        assets=assets,
        charts=not no_charts,
        output=output,
        lang=lang,
    )
    with _output(output) as out:
        REPORTERS[fmt](analysis, out, options)
    _warn_inputs(analysis.accounting)
    code = _exit_for(analysis.accounting)
    if code == EXIT_OK and fail_on and analysis.worst is not None and analysis.worst >= Severity.parse(fail_on):
        code = EXIT_FINDINGS
    sys.exit(code)


@cli.command()
@click.argument("inbox")
@click.option(
    "--out", "warehouse", required=True, help="The warehouse: a folder or an fsspec URL (s3://bucket/prefix)."
)
@click.option(
    "--ledger",
    type=click.Path(dir_okay=False),
    help="The SQLite ledger (local). [default: WAREHOUSE/ledger.sqlite; for a URL, in the working folder]",
)
@click.option("--workers", type=click.IntRange(min=1), help="Worker processes (default: the number of cores).")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True)
@click.option("--scheduler", help="A Dask scheduler address (tcp://host:8786); without it a LocalCluster starts.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Only uploads that arrived on or after.")
@click.option("--run-date", type=click.DateTime(formats=["%Y-%m-%d"]), help="The night to file results under.")
@click.option("--keep-events", is_flag=True, help="Also store every event (larger warehouse).")
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(min=0, min_open=True),
    help=f"Wall-clock seconds per upload. [default: {DEFAULT_LIMITS.timeout_s:g}]",
)
@limit_options
@click.option(
    "--commit-every", type=click.IntRange(min=1), default=100, show_default=True, help="Uploads per committed part."
)
@click.option(
    "--fleet-report/--no-fleet-report",
    default=True,
    show_default=True,
    help="Write WAREHOUSE/fleet.html after the run (or leave it to 'qoderlog fleet').",
)
def batch(
    inbox: str,
    warehouse: str,
    ledger: str | None,
    workers: int | None,
    engine: str,
    scheduler: str | None,
    since: Any,
    run_date: Any,
    keep_events: bool,
    timeout_s: float | None,
    commit_every: int,
    fleet_report: bool,
    config_path: str | None,
    **limit_flags: Any,
) -> None:
    """Analyse every new upload in INBOX into a warehouse.

    INBOX is a folder, or a manifest (.csv or .parquet with a 'path' column and optionally upload_id,
    uploaded_at, app_version, platform, channel, ticket), local or an fsspec URL (s3://bucket/inbox).

    Each upload is identified by its content hash and analysed once, even
    across re-runs; a killed run resumes where it stopped. Broken, hostile
    or slow uploads are recorded as failed or quarantined with the reason.
    """
    from .nightly.runners import run_batch  # startup: only the command that needs it loads it

    if scheduler and engine != "dask":
        raise UsageError("--scheduler needs --engine dask")
    summary = run_batch(
        inbox,
        warehouse,
        workers=workers,
        engine=engine,
        scheduler=scheduler,
        since=since.date() if since else None,
        run_date=run_date.date() if run_date else None,
        limits=_limits(config_path, {**limit_flags, "timeout_s": timeout_s}),
        keep_events=keep_events,
        commit_every=commit_every,
        ledger=ledger,
    )
    click.echo(summary.line(), err=True)
    if not fleet_report:
        return
    from .nightly.warehouse import open_warehouse  # startup: the report's stack only when there is a report
    from .reporters.fleet_report import render_fleet  # startup: the report's stack only when there is a report

    store = open_warehouse(warehouse, ledger=ledger)
    try:
        page = io.StringIO()
        render_fleet(store, page, fmt="html")
        report = store.write_text("fleet.html", page.getvalue())
    finally:
        store.close()
    click.echo(f"fleet report: {report}", err=True)


@cli.command()
@click.argument("warehouse")
@click.option("--format", "fmt", type=click.Choice(["html", "markdown", "json"]), default="html", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@click.option("--nights", type=click.IntRange(min=1), help="Nights shown (default: the last 30).")
@click.option("--redact/--no-redact", default=True, show_default=True, help="Redact user data in finding texts.")
@click.option(
    "--ledger", type=click.Path(dir_okay=False), help="The warehouse's ledger, when not in its default place."
)
def fleet(warehouse: str, fmt: str, output: str | None, nights: int | None, redact: bool, ledger: str | None) -> None:
    """The fleet report of a warehouse (a folder or an fsspec URL): release health, what is common, new, worse.

    With --format markdown and -o, the charts are written as PNGs beside the file (FILE-charts/)."""
    from .nightly.warehouse import open_warehouse  # startup: only the command that needs it loads it
    from .reporters.fleet_report import render_fleet  # startup: only the command that needs it loads it

    assets = None
    if fmt == "markdown" and output is not None:
        assets = Path(output).with_name(Path(output).stem + "-charts")
    store = open_warehouse(warehouse, ledger=ledger)
    try:
        with _output(output) as out:
            render_fleet(store, out, fmt=fmt, redact=redact, nights=nights, assets=assets)
    finally:
        store.close()


@cli.group()
def synth() -> None:
    """Generate realistic Qoder logs: samples, a benchmark corpus, an inbox of uploads."""


@synth.command("samples")
@click.argument("out_dir", type=click.Path(file_okay=False))
def synth_samples(out_dir: str) -> None:
    """Regenerate the committed sample logs (and their README) under OUT_DIR; print each path written."""
    from .synth import write_samples  # startup: the generator loads its data files; only synth needs them

    for path in write_samples(Path(out_dir)):
        click.echo(str(path))


@synth.command("corpus")
@click.argument("out_file", type=click.Path(dir_okay=False))
@click.option("--lines", type=click.IntRange(min=0), default=1_000_000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--qoder-share", type=click.FloatRange(0.0, 1.0), default=0.02, show_default=True)
@click.option(
    "--loud-share",
    type=click.FloatRange(0.0, 1.0),
    help="The share of noise records at warning level or above (default: the noise mix's own).",
)
def synth_corpus(out_file: str, lines: int, seed: int, qoder_share: float, loud_share: float | None) -> None:
    """Stream a main.log-style benchmark corpus of exactly LINES lines, about QODER_SHARE of them Qoder lines."""
    from .synth import write_corpus  # startup: the generator loads its data files; only synth needs them

    write_corpus(Path(out_file), lines=lines, seed=seed, qoder_share=qoder_share, loud_share=loud_share)


@synth.command("inbox")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--uploads", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
def synth_inbox(folder: str, uploads: int, seed: int) -> None:
    """Write an inbox of UPLOADS zipped bundles with a known mix of scenarios, platforms and versions."""
    from .synth import write_inbox  # startup: only the command that needs it loads it

    mix = write_inbox(Path(folder), uploads=uploads, seed=seed)
    click.echo(json.dumps(mix, indent=1))


@synth.command("warehouse")
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--nights", type=click.IntRange(min=1), default=30, show_default=True)
@click.option("--uploads-per-night", type=click.IntRange(min=1), default=2000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
def synth_warehouse(out: str, nights: int, uploads_per_night: int, seed: int) -> None:
    """Write a synthetic warehouse directly (no log analysis): versions rolling out on three platforms, an injected
    regression and a signature that returns after a week away; print what was put in."""
    from .synth.warehouse import write_warehouse  # startup: only the command that needs it loads it

    made = write_warehouse(Path(out), nights=nights, uploads_per_night=uploads_per_night, seed=seed)
    click.echo(json.dumps(made, indent=1))


def _this_machines_logs() -> tuple[str, ...]:
    """The log files and dumps ``collect`` would take on this machine; exit 3 with where it looked if none."""
    from .collect import DEFAULT_SINCE, discover, nothing_found, parse_since, this_machine  # startup: no PATH only
    from .locations import this_platform  # startup: no PATH only

    home, env = this_machine()
    found = discover(this_platform(), home=home, env=env, since=parse_since(DEFAULT_SINCE))
    if not found.files:
        click.echo(f"qoderlog: {nothing_found(found)}", err=True)
        sys.exit(EXIT_NO_INPUT)
    return tuple(str(item.path) for item in found.files) + tuple(str(dump.path) for dump in found.dumps)


@cli.command()
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="The zip to write (default: qoder-logs-<time>.zip)."
)
@click.option("--since", default="3d", show_default=True, help="Only files written in this time: 30m, 12h, 3d, 1w.")
@click.option(
    "--path", "paths", multiple=True, type=click.Path(exists=True), help="Take the logs here instead of looking."
)
@click.option("--with-dumps", is_flag=True, help="Put the Crashpad minidumps in the zip (they are always listed).")
@click.option("--redact/--no-redact", default=True, show_default=True, help="Hide user names, e-mails, IPs, tokens.")
@click.option("--dry-run", is_flag=True, help="List what would be taken; write nothing.")
@click.option(
    "--platform",
    type=click.Choice(["windows", "macos", "linux", "remote"]),
    help="The layout to look for (default: this machine's).",
)
def collect(
    output: str | None,
    since: str,
    paths: tuple[str, ...],
    with_dumps: bool,
    redact: bool,
    dry_run: bool,
    platform: str | None,
) -> None:
    """Gather this machine's Qoder logs into one zip with a manifest, redacted, ready to attach to a ticket.

    \b
    Exit status: 0 written (or listed); 2 usage error; 3 no log found.
    """
    from .collect import (  # startup: only the command that needs it loads it
        default_bundle_name,
        describe,
        discover,
        nothing_found,
        parse_since,
        this_machine,
        write_bundle,
    )
    from .locations import this_platform  # startup: only the command that needs it loads it

    home, env = this_machine()
    found = discover(
        platform or this_platform(), home=home, env=env, since=parse_since(since), paths=[Path(p) for p in paths]
    )
    if not found.files:
        click.echo(f"qoderlog: {nothing_found(found)}", err=True)
        sys.exit(EXIT_NO_INPUT)
    if dry_run:
        for line in describe(found, with_dumps=with_dumps):
            click.echo(line)
        total = sum(item.size for item in found.files)
        click.echo(f"would take {len(found.files)} log file(s), {total:,} bytes; {len(found.dumps)} minidump(s)")
        return
    target = Path(output or default_bundle_name())
    bundle = write_bundle(found, target, redact=redact, with_dumps=with_dumps, home=home)
    manifest = bundle.manifest
    dumps = len(found.dumps)
    dump_note = f"{dumps} minidump(s) " + ("included" if with_dumps else "listed (--with-dumps to include)")
    redaction = f"{manifest['replacements']} replacement(s)" if redact else "not redacted"
    click.echo(f"wrote {target}: {len(manifest['files'])} log file(s), {dump_note}, {redaction}")


@cli.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True)
def rules_command(fmt: str) -> None:
    """Document every rule: id, title, what it detects, thresholds, causes, remedies (and with markdown, playbooks)."""
    from .rules.docs import rules_markdown, rules_text  # startup: only the command that needs it loads it
    from .rules.registry import REGISTRY, playbooks  # startup: only the command that needs it loads it

    text = rules_markdown(REGISTRY, playbooks().by_rule) if fmt == "markdown" else rules_text(REGISTRY)
    click.echo(text, nl=False)


@cli.group()
def patterns() -> None:
    """List, test or suggest patterns."""


@patterns.command("list")
@pattern_option
def patterns_list(pattern_dirs: tuple[str, ...]) -> None:
    """Show every pattern: id, event type, component, prefilter, examples."""
    library = _load(pattern_dirs)
    for pattern in library.patterns:
        click.echo(
            f"{pattern.id:<34} {pattern.type:<24} {pattern.component or '-':<17} "
            f"{len(pattern.examples):>2} ex  {pattern.prefilter!r}"
        )
    click.echo(f"{len(library.patterns)} patterns")


@patterns.command("suggest")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--min-count", type=click.IntRange(min=1), default=1, show_default=True, help="Only templates seen this often."
)
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True, help="At most this many drafts.")
@click.option(
    "--all", "everything", is_flag=True, help="Also draft non-Qoder templates (warnings of other components)."
)
@pattern_option
def patterns_suggest(
    paths: tuple[str, ...], min_count: int, top: int, everything: bool, pattern_dirs: tuple[str, ...]
) -> None:
    """Print draft YAML patterns for the most frequent unrecognised Qoder lines of PATHS.

    \b
    Save the output in a folder, review it, then:
      qoderlog patterns test FOLDER
      qoderlog analyze --patterns FOLDER PATHS...
    """
    from .analysis import analyze as run_analysis  # startup: only the command that needs it loads it
    from .mining.drafts import drafts_yaml, suggest  # startup: only the command that needs it loads it

    library = _load(pattern_dirs)
    analysis = run_analysis(paths, patterns=library)
    drafts = suggest(analysis.template_list, library, min_count=min_count, top=top, qoder_only=not everything)
    click.echo(drafts_yaml(drafts), nl=False)
    _warn_inputs(analysis.accounting)
    sys.exit(_exit_for(analysis.accounting))


@patterns.command("test")
@click.argument("folder", required=False, type=click.Path(exists=True, file_okay=False))
def patterns_test(folder: str | None) -> None:
    """Check every example of every pattern (built-in, plus FOLDER's when given).

    Each example must match its own pattern with exactly its listed fields and
    no other pattern; bare examples are also checked in every framing.
    """
    from .patterns import load_patterns  # startup: only the commands that use patterns load them
    from .testing import check_library  # startup: only the command that needs it loads it

    library = load_patterns((folder,) if folder else (), check=False)
    problems = check_library(library)
    for problem in problems:
        click.echo(str(problem), err=True)
    examples = sum(len(p.examples) for p in library.patterns)
    if problems:
        click.echo(f"{len(problems)} problem(s) in {len(library.patterns)} patterns", err=True)
        sys.exit(1)
    click.echo(f"ok: {len(library.patterns)} patterns, {examples} examples, every framing")
