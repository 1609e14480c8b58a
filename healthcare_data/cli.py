"""The ``healthcare-data`` command: seed, validate, export, vocabulary, profiles.

Commands are thin: they parse flags, call :mod:`healthcare_data.seeding` (the Python
API) and print. One error boundary in :func:`main` turns library errors into a single
line on stderr and an exit code: 2 for a bad request (unknown profile, negative count,
malformed or unreachable database URL, a database holding rows without
``--reset``/``--append``), 1 when validation fails, a write is rolled back or another
run holds the database past ``QA_LOCK_TIMEOUT``, 130 on Ctrl-C/SIGTERM (rolled back).
Heavy modules are imported inside the commands so ``--help`` and errors stay fast.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import IO, Any, NoReturn

PROG = "healthcare-data"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
#: What an interrupted command says by default (a command may set its own ``interrupted``).
INTERRUPTED = "interrupted; the database is as it was (the transaction was rolled back)"

COUNT_FLAGS = ("patients", "providers", "appointments", "medical_records", "insurance_claims", "locations")


class UsageError(Exception):
    """A command-line mistake argparse found (exit 2, one line)."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a mistake as one line instead of usage plus message."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _add_common(parser: argparse.ArgumentParser) -> None:
    """Options every command takes: how much it says."""
    loudness = parser.add_mutually_exclusive_group()
    loudness.add_argument(
        "--verbose", "-v", action="count", default=0, help="say more (-v: info, -vv: debug log on stderr)"
    )
    loudness.add_argument(
        "--quiet", "-q", action="store_true", help="errors only: no progress bars, no warnings"
    )


# --- output helpers ------------------------------------------------------------------------


def _table(rows: Sequence[dict[str, Any]], out: IO[str]) -> None:
    from tabulate import tabulate

    if rows:
        print(tabulate(rows, headers="keys", tablefmt="simple", disable_numparse=False), file=out)
    else:
        print("(none)", file=out)


def _where(db: Any) -> str:
    from healthcare_data.connections import sqlite_path

    path = sqlite_path(db)
    return f"SQLite file {path}" if path else db.url


class ProgressBars:
    """One bar per entity on stderr, redrawn in place; silent unless stderr is a terminal.

    Rows of dependent tables written alongside an entity (a patient's conditions and
    profile) are counted on that entity's line instead of opening lines of their own.
    When an entity that already had its line comes back (sharded runs deliver every
    shard's tables in turn), the rest of the run is ONE bar over all the entities, which
    advances shard by shard, instead of a new line at every change of table.
    """

    WIDTH = 28
    FOLDED = {"patient_conditions": ("patients", "conditions"), "patient_profiles": ("patients", "profiles")}

    def __init__(self, totals: dict[str, int], stream: IO[str], enabled: bool) -> None:
        self.totals = totals
        self.stream = stream
        self.enabled = enabled
        self.current: str | None = None
        self.done: dict[str, int] = {}
        self.extras: dict[str, dict[str, int]] = {}
        self.started = time.perf_counter()
        self.combined = False  # one bar over every entity (tables arrive interleaved)
        self.run_started = self.started

    def __call__(self, table: str, batch_rows: int, so_far: int) -> None:
        if not self.enabled:
            return
        entity, label = self.FOLDED.get(table, (table, ""))
        if self.current is not None and entity != self.current and not self.combined:
            self.stream.write("\n")
            self.combined = entity in self.done or entity in self.extras
            if not self.combined:
                self.started = time.perf_counter()
        self.current = entity
        if label:
            self.extras.setdefault(entity, {})[label] = so_far
        else:
            self.done[entity] = so_far
        if self.combined:
            entity, self.started = "all tables", self.run_started
            count, total = sum(self.done.values()), sum(self.totals.values())
        else:
            count, total = self.done.get(entity, 0), self.totals.get(entity, 0)
        if total:
            share = min(count / total, 1.0)
            filled = round(share * self.WIDTH)
            line = f"{entity:<16} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {share:4.0%} {count}/{total}"
        else:
            line = f"{entity:<16} {count} rows"
        extras = self.extras.get(entity)
        if extras:
            line += " (" + ", ".join(f"+{n} {name}" for name, n in extras.items()) + ")"
        self.stream.write(f"\r{line} {time.perf_counter() - self.started:5.1f}s")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.current is not None:
            self.stream.write("\n")
            self.stream.flush()


def _check_writable(path: str | None, flag: str) -> None:
    """Prove ``path`` can be written before the database is touched (a probe file is
    created and removed), so an unwritable --metrics-json fails first, not after a commit."""
    if path is None:
        return
    from healthcare_data.errors import ConfigurationError

    target = Path(path)
    if target.is_dir():
        raise ConfigurationError(f"{flag} {path!r} is a directory; give a file name")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        probe = target.with_name(f".{target.name}.probe")
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise ConfigurationError(f"{flag} {path!r} cannot be written: {exc.strerror or exc}") from None


def _write_json(path: str, data: dict[str, Any]) -> None:
    from healthcare_data.export.writers import atomic_open

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(target) as handle:
        handle.write(json.dumps(data, indent=2, default=str) + "\n")


def _print_violations(reports: dict[str, Any], limit: int, strict: bool, out: IO[str]) -> None:
    from healthcare_data.seed_result import report_passes

    for report in reports.values():
        if report.ok or limit <= 0:
            continue
        kind = "warnings" if report_passes(report, strict=strict) else "violations"
        print(
            f"\n{report.name} {kind} (first {min(limit, len(report.violations))} of "
            f"{len(report.violations)}):",
            file=out,
        )
        _table(report.rows(limit), out)


def _coloured(rows: list[dict[str, Any]], out: IO[str]) -> list[dict[str, Any]]:
    """Validation rows with PASS/WARN/FAIL in colour on a terminal (never with NO_COLOR)."""
    from healthcare_data.cli_output import paint

    return [{**row, "status": paint(str(row["status"]), out)} for row in rows]


def _print_notes(reports: dict[str, Any], out: IO[str]) -> None:
    from healthcare_data.seed_result import validation_notes

    for note in validation_notes(reports):
        print(f"Note: {note}", file=out)


def _profile_with_population(args: argparse.Namespace) -> Any:
    """``--profile`` as given, or the resolved profile carrying the population filters."""
    from dataclasses import replace

    from healthcare_data.population import Population

    population = Population.parse(args.gender, args.age, args.state, args.city)
    if population is None:
        return args.profile
    from healthcare_data import settings
    from healthcare_data.profiles import resolve_profile

    chosen = resolve_profile(args.profile or settings.qa_settings().environment)
    return replace(chosen, population=population)


def _today(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        from healthcare_data.errors import ConfigurationError

        raise ConfigurationError(f"--today {value!r} is not a date; use YYYY-MM-DD") from None


# --- commands ------------------------------------------------------------------------------


def cmd_seed(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from healthcare_data import seeding, settings

    qa = settings.qa_settings()
    _check_writable(args.metrics_json, "--metrics-json")
    counts = {name: getattr(args, name) for name in COUNT_FLAGS if getattr(args, name) is not None}
    show_progress = not args.quiet and err.isatty()
    bars: ProgressBars | None = None

    def ready(profile: Any, db: Any) -> None:
        nonlocal bars
        print(f"Seeding profile {profile.name!r} ({profile.title}) into {_where(db)}", file=out)
        print(
            f"Target: {profile.total_records} records in < {profile.target_seconds:.0f} s; "
            f"seed {qa.seed if args.seed is None else args.seed}, tenants {profile.tenants}",
            file=out,
        )
        out.flush()
        totals = {e: profile.count(e) for e in COUNT_FLAGS}
        # A count of 0 locations with tenants means one per tenant (DatasetSpec.location_count).
        totals.update(tenants=profile.tenants, locations=profile.count("locations") or profile.tenants)
        bars = ProgressBars(totals, err, show_progress)

    def progress(table: str, batch_rows: int, so_far: int) -> None:
        if bars is not None:
            bars(table, batch_rows, so_far)

    try:
        result = seeding.seed(
            _profile_with_population(args),
            args.database_url,
            seed=args.seed,
            tenants=args.tenants,
            counts=counts,
            reset=args.reset,
            append=args.append,
            batch_size=args.batch_size,
            method=args.method,
            validate=args.validate,
            strict=args.strict,
            today=_today(args.today),
            progress=progress,
            on_ready=ready,
            workers=args.workers,
            dask_scheduler=args.dask_scheduler,
        )
    finally:
        if bars is not None:
            bars.close()

    print("", file=out)
    _table(result.entity_rows(), out)
    print(
        f"\n{result.total_records} records in {result.write.total_seconds:.2f} s "
        f"({result.write.rows_per_second:,.0f} rows/s, {result.mode}, writer {result.write.method})",
        file=out,
    )
    if result.validation_enabled:
        print(f"\nValidation ({result.validation_seconds:.2f} s):", file=out)
        _table(_coloured(result.validation_rows(), out), out)
        _print_notes(result.validation, out)
        _print_violations(
            result.validation,
            qa.validation_sample_size if args.show is None else args.show,
            result.strict,
            out,
        )
    else:
        print("\nValidation: skipped", file=out)
    from healthcare_data.cli_output import paint

    verdict = paint("MET" if result.target_met else "MISSED", out)
    print(
        f"\nTarget time: {result.target_seconds:.0f} s; took {result.total_seconds:.2f} s: {verdict} "
        f"({result.performance_ratio:.1%} of target)",
        file=out,
    )
    if result.profile.target_records_per_second:
        print(
            f"Throughput: {result.records_per_second:,.0f} records/s "
            f"(document target {result.profile.target_records_per_second:.0f}+)",
            file=out,
        )
    if args.metrics_json:
        _write_json(args.metrics_json, result.metrics())
        print(f"Metrics written to {args.metrics_json}", file=out)
    result.database.dispose()
    if not result.success:
        print(f"{PROG}: seeding finished but {'; '.join(result.errors)}", file=err)
        return EXIT_FAILED
    return EXIT_OK


def cmd_validate(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from healthcare_data import connections, seed_result, settings
    from healthcare_data.seed_result import report_passes, validation_row

    qa = settings.qa_settings()
    strict = qa.strict_mode if args.strict is None else args.strict
    _check_writable(args.metrics_json, "--metrics-json")
    db = connections.connect(args.database_url, command="validate")
    try:
        print(f"Validating {_where(db)}", file=out)
        reports, seconds = seed_result.run_validators(db, today=_today(args.today))
    finally:
        db.dispose()
    _table(_coloured([validation_row(r, strict) for r in reports.values()], out), out)
    _print_notes(reports, out)
    _print_violations(reports, qa.validation_sample_size if args.show is None else args.show, strict, out)
    failed = [r for r in reports.values() if not report_passes(r, strict=strict)]
    print(f"\n{len(reports)} validators in {seconds:.2f} s: {'FAILED' if failed else 'passed'}", file=out)
    if args.metrics_json:
        _write_json(
            args.metrics_json,
            {
                "validation_time_seconds": round(seconds, 3),
                "success": not failed,
                "errors": [r.summary() for r in failed],
                "validation": {r.name: validation_row(r, strict) for r in reports.values()},
                "statistics": seed_result.statistics_rows(reports),
                "validation_notes": seed_result.validation_notes(reports),
            },
        )
    if failed:
        print(f"{PROG}: validation failed: {'; '.join(r.summary() for r in failed)}", file=err)
        return EXIT_FAILED
    return EXIT_OK


def cmd_vocabulary(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    # Imported here, not at the top: the registries it reads load the whole library,
    # which --help must not pay for (tests/test_startup.py).
    from healthcare_data import vocabulary

    known = tuple(vocabulary.SECTIONS)
    if args.section is not None and args.section not in known:
        choices = ", ".join(repr(k) for k in known)
        raise UsageError(f"argument section: invalid choice: {args.section!r} (choose from {choices})")
    sections = [args.section] if args.section else list(known)
    for number, section in enumerate(sections):
        rows = vocabulary.SECTIONS[section]()
        if number:
            print("", file=out)
        print(f"{section.replace('-', ' ').title()} ({len(rows)})", file=out)
        _table(rows, out)
    return EXIT_OK


def cmd_profiles(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    from healthcare_data.profiles import PROFILES, resolve_profile

    chosen = [resolve_profile(args.profile)] if args.profile else [p for _, p in PROFILES.items()]
    rows = []
    for p in chosen:
        row: dict[str, Any] = {"profile": p.name, "target s": p.target_seconds}
        row.update({e: p.count(e) for e in COUNT_FLAGS})
        row["tenants"] = p.tenants
        rows.append(row)
    _table(rows, out)
    return EXIT_OK


# --- parser --------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    from healthcare_data import __version__

    parser = _Parser(
        prog=PROG,
        description="Realistic, safe, reproducible healthcare test data.",
        epilog="Environment: DATABASE_URL, QA_ENVIRONMENT, QA_SEED, QA_BATCH_SIZE, QA_USE_BULK_INSERT, "
        "QA_VALIDATION_ENABLED, QA_VALIDATION_SAMPLE_SIZE, QA_STRICT_MODE, QA_LOCK_TIMEOUT, "
        "QA_CONNECT_TIMEOUT (flags win). Exit codes: 0 ok, 1 failed (nothing kept), 2 bad input, "
        "130 interrupted. See docs/reliability.md.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    seed = commands.add_parser("seed", help="fill a database with a profile's dataset")
    from healthcare_data import cli_options as options

    options.add_profile(seed)
    options.add_database(seed)
    seed.add_argument(
        "--seed", "-s", type=int, help="random seed; the same seed gives the same rows (default 0)"
    )
    seed.add_argument("--tenants", type=int, metavar="N", help="N isolated tenants (0: single-tenant)")
    mode = seed.add_mutually_exclusive_group()
    mode.add_argument("--reset", action="store_true", help="empty a non-empty database first")
    mode.add_argument("--append", action="store_true", help="add to a non-empty database, continuing ids")
    for name in COUNT_FLAGS:
        seed.add_argument(
            f"--{name.replace('_', '-')}",
            dest=name,
            type=int,
            metavar="N",
            help=f"override the profile's {name.replace('_', ' ')} count",
        )
    seed.add_argument(
        "--batch-size", type=int, metavar="N", help="rows per batch (default $QA_BATCH_SIZE or 1000)"
    )
    options.add_parallel(
        seed, "generation processes; the same rows for any N (default $QA_PARALLEL_WORKERS, else the CPUs)"
    )
    seed.add_argument("--method", help="writer: auto, core, driver (SQLite), copy (PostgreSQL), executemany")
    seed.add_argument(
        "--validate",
        dest="validate",
        action="store_true",
        default=None,
        help="run the validators after seeding (default: $QA_VALIDATION_ENABLED, else on)",
    )
    seed.add_argument("--no-validate", dest="validate", action="store_false", help="skip validation")
    seed.add_argument(
        "--strict",
        action="store_true",
        default=None,
        help="statistics warnings and a missed target fail the run ($QA_STRICT_MODE)",
    )
    seed.add_argument(
        "--show",
        type=int,
        metavar="N",
        help="violations shown per validator (default $QA_VALIDATION_SAMPLE_SIZE or 100)",
    )
    seed.add_argument("--today", metavar="YYYY-MM-DD", help="the date ages and appointments count from")
    options.add_population(seed)
    seed.add_argument("--metrics-json", metavar="PATH", help="write the metrics dictionary to PATH")
    seed.set_defaults(handler=cmd_seed)

    validate = commands.add_parser("validate", help="run the validators on a seeded database")
    options.add_database(validate)
    validate.add_argument("--strict", action="store_true", default=None, help="statistics warnings fail too")
    validate.add_argument("--show", type=int, metavar="N", help="violations shown per validator")
    validate.add_argument("--today", metavar="YYYY-MM-DD", help="the date the data was generated on")
    validate.add_argument("--metrics-json", metavar="PATH", help="write the results as JSON to PATH")
    validate.set_defaults(handler=cmd_validate)

    from healthcare_data.cli_export import add_deidentify, add_export

    add_export(commands)
    add_deidentify(commands)

    vocabulary = commands.add_parser(
        "vocabulary", help="personas, traits, specialties, ... for feature files"
    )
    vocabulary.add_argument(
        "section", nargs="?", help="only this section (personas, traits, specialties, rules, ...)"
    )
    vocabulary.set_defaults(handler=cmd_vocabulary)

    profiles = commands.add_parser("profiles", help="list the seeding profiles and their counts")
    profiles.add_argument(
        "profile", nargs="?", metavar="NAME|FILE", help="show one profile (or a custom file)"
    )
    profiles.set_defaults(handler=cmd_profiles)

    from healthcare_data.cli_journeys import add_parser as add_workflows

    add_workflows(commands)

    from healthcare_data.cli_report import add_report_command

    add_report_command(commands)
    for command in commands.choices.values():
        _add_common(command)
    from healthcare_data.cli_anyschema import register as register_anyschema  # introspect, generate, i

    register_anyschema(commands)  # after the loop: it adds the common options itself (alias-safe)
    import shtab

    shtab.add_argument_to(parser, ["--print-completion"], help="print a bash/zsh/tcsh completion script")
    return parser


# --- the error boundary --------------------------------------------------------------------


def main(argv: Sequence[str] | None = None, *, out: IO[str] | None = None, err: IO[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 failed, 2 bad input)."""
    out = out or sys.stdout
    err = err or sys.stderr
    from healthcare_data.errors import ConfigurationError, HealthcareDataError, Interrupted, UnknownNameError

    global _grace
    _grace = INTERRUPT_GRACE_SECONDS
    previous = _interrupt_on_sigterm()
    interrupted = INTERRUPTED
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        interrupted = getattr(args, "interrupted", interrupted)  # a command's own line (export)
        _grace = getattr(args, "interrupt_grace", INTERRUPT_GRACE_SECONDS)
        handler: Callable[[argparse.Namespace, IO[str], IO[str]], int] | None = getattr(args, "handler", None)
        if handler is None:
            parser.print_help(out)
            return EXIT_USAGE
        from healthcare_data.cli_output import configure_logging

        log_handler = configure_logging(-1 if args.quiet else args.verbose, err)
        for message in getattr(args, "deprecations", ()):
            logging.getLogger("healthcare_data.cli").warning(message)
        try:
            return handler(args, out, err)
        finally:
            logging.getLogger("healthcare_data").removeHandler(log_handler)
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=err)
        return EXIT_USAGE
    except (ConfigurationError, UnknownNameError) as exc:
        print(f"{PROG}: error: {_one_line(exc)}", file=err)
        return EXIT_USAGE
    except HealthcareDataError as exc:
        print(f"{PROG}: error: {_one_line(exc)}", file=err)
        return EXIT_FAILED
    except BrokenPipeError:  # output piped into head and the like: stop quietly
        import os

        try:  # keep the interpreter's final flush from raising again
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return EXIT_OK
    except OSError as exc:  # an output path that cannot be written, a profile file that cannot be read
        print(f"{PROG}: error: {_one_line(exc)}", file=err)
        return EXIT_USAGE
    except Exception as exc:
        if not _is_database_error(exc):
            raise
        reason = getattr(exc, "orig", None) or exc
        print(f"{PROG}: error: database error: {_one_line(reason)}", file=err)
        return EXIT_FAILED
    except (KeyboardInterrupt, Interrupted):
        print(f"{PROG}: {interrupted}", file=err)
        _interrupt_reported()
        return EXIT_INTERRUPTED
    finally:
        _restore_sigterm(previous)


#: Seconds an interrupted run gets to roll back in-process before it exits anyway.
INTERRUPT_GRACE_SECONDS = 0.8
#: The grace of the command running now: a command may ask for longer (``interrupt_grace``
#: default on its parser) when its clean-up must wait for workers to finish a part.
_grace = INTERRUPT_GRACE_SECONDS


def _interrupt_on_sigterm() -> Any:
    """SIGINT and SIGTERM end a run within a second, exit 130, the database as it was.

    The handler raises :class:`~healthcare_data.errors.Interrupted`, so the open
    transaction rolls back (on a connection cut mid-COPY: by closing it). In case a
    driver still holds that up, a watchdog exits after INTERRUPT_GRACE_SECONDS (or the
    command's own ``interrupt_grace``) regardless: an unfinished transaction is then
    rolled back by the server, or on SQLite by the journal the next reader plays back. A
    signal the parent set to be ignored (``nohup``, a background job) stays ignored.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    from healthcare_data.errors import Interrupted

    def interrupt(signum: int, frame: Any) -> None:
        _start_watchdog(_grace, _exit_interrupted)
        raise Interrupted(signal.Signals(signum).name)

    previous = {}
    for number in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(number) is not signal.SIG_IGN:
            previous[number] = signal.signal(number, interrupt)
    return previous


#: The running watchdog, if an interrupt started one.
_watchdog: Any = None

#: Seconds a reported interrupt still gets for the interpreter's own shutdown (pool
#: finalizers, driver disconnects) before the process exits silently anyway.
SHUTDOWN_GRACE_SECONDS = 10.0


def _start_watchdog(seconds: float, action: Callable[[], None]) -> None:
    import threading

    global _watchdog
    if _watchdog is not None:
        _watchdog.cancel()
    _watchdog = threading.Timer(seconds, action)
    _watchdog.daemon = True
    _watchdog.start()


def _interrupt_reported() -> None:
    """The rollback finished and its one line is printed: the grace watchdog must not add a
    second line (or cut the interpreter's cleanup short: that leaked the generation pool's
    semaphores); a longer, silent one still guarantees the process ends."""
    import os

    if _watchdog is not None:
        _start_watchdog(SHUTDOWN_GRACE_SECONDS, lambda: os._exit(EXIT_INTERRUPTED))


def _exit_interrupted() -> None:
    import os

    try:
        sys.stderr.write(f"{PROG}: interrupted; the unfinished transaction is rolled back, nothing kept\n")
        sys.stderr.flush()
    finally:
        os._exit(EXIT_INTERRUPTED)


def _restore_sigterm(previous: Any) -> None:
    if previous:
        import signal

        for number, handler in previous.items():
            signal.signal(number, handler)


def _is_database_error(exc: BaseException) -> bool:
    """A SQLAlchemy error, checked without importing SQLAlchemy (``--help`` stays light):
    if the module was never loaded, nothing can have raised one of its errors."""
    errors = sys.modules.get("sqlalchemy.exc")
    return errors is not None and isinstance(exc, errors.SQLAlchemyError)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
