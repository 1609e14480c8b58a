"""Sharded generation: the same dataset from 1 process or N, row for row.

A dataset is cut into *units*, its care groups (see :mod:`healthcare_data.generation`): a
group's providers, patients, appointments, records and claims reference nothing outside
it but the global tables (tenants, locations), which come first. Everything that makes a
unit's rows is derived from the seed and the unit's index alone:

* its random stream, ``rng.child(f"unit:{index}")``;
* its id ranges: patients and providers by position, appointments by the providers'
  quotas before it, records and claims as the share of the dataset's counts that falls on
  its appointments (cumulative rounding, so the shares add up exactly);
* its tenant.

Only ``patient_conditions`` ids depend on earlier units (a patient has a random number of
conditions): units number theirs from 1 and the consumer renumbers them in unit order.

Units are grouped into *tasks* (consecutive units, a few thousand rows) only to amortise
inter-process traffic; a task yields its units' rows table by table in dependency order,
so batches are fuller and each task can be written on its own. Which units share a task,
and which process runs it, changes the order batches arrive in, never a row.

Workers are ``concurrent.futures`` processes from the ``forkserver`` context (``spawn``
where there is none), so nothing of the parent (open connections, threads) is inherited;
at most ``2 * workers`` tasks are in flight, so memory stays bounded. A worker that
raises or dies (``BrokenProcessPool``) stops the stream with that error: the writer's
single transaction then keeps nothing.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, TypeVar

from healthcare_data import generation
from healthcare_data.dataset_spec import GROUP_PROVIDERS, TABLE_ORDER, DatasetSpec, _split
from healthcare_data.errors import ConfigurationError, HealthcareDataError
from healthcare_data.generation import Batch, eligible_counts, entity_rows, global_rows, visit_rows
from healthcare_data.generation_plan import _Plan, _Store
from healthcare_data.randomness import Randomness

T = TypeVar("T")

#: Rows (patients + appointments) a task gathers before it is handed to a worker.
TASK_ROWS = 4000


class WorkerFailed(HealthcareDataError):
    """A generation worker process died (killed, out of memory) before finishing its shard."""


@dataclass(frozen=True)
class Visits:
    """What the second phase needs of a unit: its store and its share of records and claims."""

    unit: Unit
    store: _Store
    records: int
    claims: int
    first_record: int
    first_claim: int


@dataclass(frozen=True)
class Unit:
    """One care group: its index, its own small spec (counts and first ids) and tenant."""

    index: int
    spec: DatasetSpec
    tenant_id: int | None

    @property
    def rows(self) -> int:
        return self.spec.patients + self.spec.appointments


def default_workers() -> int:
    """The CPUs this process may run on (``QA_PARALLEL_WORKERS`` overrides it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _before(total: int, parts: int, k: int) -> int:
    """Items in the first ``k`` of ``_split(total, parts)``'s ranges (O(1))."""
    size, extra = divmod(total, max(parts, 1))
    return k * size + min(k, extra)


def _share(total: int, a0: int, a1: int, appointments: int) -> int:
    """How many of ``total`` fall on appointments [a0, a1) when spread evenly (cumulative rounding)."""
    return (total * a1 // appointments - total * a0 // appointments) if appointments else 0


def units(plan: _Plan) -> list[Unit]:
    """The dataset's care groups as independent units, in id order (records and claims are
    dealt out after the appointments exist, see :func:`allocate`)."""
    spec = plan.spec
    first = plan.first
    found: list[Unit] = []
    for t, ((p0, p1), (q0, q1)) in enumerate(zip(plan.provider_blocks, plan.patient_blocks, strict=True)):
        if p1 == p0:  # a tenant without providers still has its patients
            groups = [((p0, p0), (q0, q1))] if q1 > q0 else []
        else:
            count = max(1, min(-(-(p1 - p0) // GROUP_PROVIDERS), max(q1 - q0, 1)))
            groups = [
                ((p0 + a, p0 + b), (q0 + c, q0 + d))
                for (a, b), (c, d) in zip(_split(p1 - p0, count), _split(q1 - q0, count), strict=True)
            ]
        for (g0, g1), (h0, h1) in groups:
            a0 = _before(spec.appointments, spec.providers, g0)
            a1 = _before(spec.appointments, spec.providers, g1)
            # replace(): every other field of the spec (mixes, window, population options)
            # is the unit's too.
            unit_spec = replace(
                spec,
                patients=h1 - h0,
                providers=g1 - g0,
                appointments=a1 - a0,
                # The unit's share by appointments: what its booking paces eligible visits
                # for. The records and claims themselves are dealt out by allocate().
                medical_records=_share(spec.medical_records, a0, a1, spec.appointments),
                insurance_claims=_share(spec.insurance_claims, a0, a1, spec.appointments),
                start=plan.window_start,
                tenants=0,
                locations=0,
                first_ids={
                    "patients": first["patients"] + h0,
                    "providers": first["providers"] + g0,
                    "appointments": first["appointments"] + a0,
                    "patient_conditions": 1,  # renumbered by the consumer, in unit order
                },
            )
            found.append(Unit(len(found), unit_spec, plan.tenant_id(t)))
    return found


def allocate(total: int, eligible: Sequence[int]) -> list[tuple[int, int]]:
    """``total`` records dealt to units in proportion to what each can carry: (offset, count).

    Cumulative rounding: unit k gets ``floor(total*E<=k/E) - floor(total*E<k/E)``, which sums
    to ``total`` and never exceeds ``eligible[k]`` when ``total <= sum(eligible)``.
    """
    whole = sum(eligible)
    shares, seen = [], 0
    for count in eligible:
        lo = total * seen // whole if whole else 0
        seen += count
        hi = total * seen // whole if whole else 0
        shares.append((lo, hi - lo))
    return shares


def tasks(all_units: Sequence[Unit], rows: int | None = None) -> list[tuple[Unit, ...]]:
    """Consecutive units gathered until each task holds about ``rows`` (:data:`TASK_ROWS`) rows."""
    rows = TASK_ROWS if rows is None else rows
    grouped: list[tuple[Unit, ...]] = []
    current: list[Unit] = []
    held = 0
    for unit in all_units:
        current.append(unit)
        held += unit.rows
        if held >= rows:
            grouped.append(tuple(current))
            current, held = [], 0
    if current:
        grouped.append(tuple(current))
    return grouped


def _batches(gathered: dict[str, list[dict[str, Any]]], size: int) -> list[Batch]:
    out: list[Batch] = []
    for table in TABLE_ORDER:
        rows = gathered.get(table, [])
        out.extend(Batch(table, rows[k : k + size]) for k in range(0, len(rows), size))
    return out


def generate_task(
    seed: int | None, today: date, task: Sequence[Unit], size: int
) -> tuple[list[Batch], list[tuple[_Store, int, int]]]:
    """A task's patients, providers and appointments, table by table in batches of at
    most ``size``, and per unit its compact store with what it can carry (completed
    visits, claimable visits).

    A shard function: it needs nothing but its arguments, so it runs the same in this
    process, a worker process or a Dask worker.
    """
    root = Randomness(seed, today)
    gathered: dict[str, list[dict[str, Any]]] = {}
    kept: list[tuple[_Store, int, int]] = []
    for unit in task:
        rng = root.child(f"unit:{unit.index}")
        plan = _Plan(unit.spec, rng, tenant_id=unit.tenant_id)
        store = _Store(unit.spec)
        for batch in entity_rows(plan, store, rng, size):
            gathered.setdefault(batch.table, []).extend(batch.rows)
        kept.append((store, *eligible_counts(plan, store)))
    return _batches(gathered, size), kept


def visit_task(seed: int | None, today: date, task: Sequence[Visits], size: int) -> list[Batch]:
    """The second shard function: each unit's medical records and claims, from its store."""
    root = Randomness(seed, today)
    gathered: dict[str, list[dict[str, Any]]] = {}
    for visits in task:
        unit = visits.unit
        rng = root.child(f"unit:{unit.index}")
        spec = replace(
            unit.spec,
            medical_records=visits.records,
            insurance_claims=visits.claims,
            first_ids={
                **unit.spec.first_ids,
                "medical_records": visits.first_record,
                "insurance_claims": visits.first_claim,
            },
        )
        plan = _Plan(spec, rng, tenant_id=unit.tenant_id)
        for batch in visit_rows(plan, visits.store, rng, size):
            gathered.setdefault(batch.table, []).extend(batch.rows)
    return _batches(gathered, size)


def _context() -> multiprocessing.context.BaseContext:
    """forkserver with this module preloaded: the server imports the generator once and
    every worker is a cheap fork of it (measured under load: first batch 5.8 s -> see
    docs/scaling.md), instead of each worker importing it; ``spawn`` where there is none."""
    if "forkserver" not in multiprocessing.get_all_start_methods():  # pragma: no cover - Windows/macOS
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(
        [
            "healthcare_data._forkserver_preload",
            __name__,
            "healthcare_data.rows.patients",
            "healthcare_data.rows.claims",
        ]
    )
    return context


def _exit_with(parent_pid: int) -> None:
    """Worker initializer: exit when the process that started the pool is gone.

    A pool worker holds both ends of its own task pipe (and the forkserver's liveness
    pipe), so it never sees EOF when its parent is killed with SIGKILL: without this
    watch the workers and the forkserver would outlive a killed seed forever.

    SIGINT is ignored (from birth under the forkserver, see ``_forkserver_preload``;
    here for ``spawn``): Ctrl-C in a terminal reaches the whole process group, and the
    parent alone decides (it rolls back, shuts the pool down and prints one line)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import threading
    import time

    import psutil

    try:
        parent = psutil.Process(parent_pid)
    except psutil.NoSuchProcess:
        os._exit(1)

    def watch() -> None:
        while parent.is_running() and parent.status() != psutil.STATUS_ZOMBIE:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


#: How often a wait for a worker's result checks that the workers are alive (seconds).
_POLL_SECONDS = 1.0


class _Runner:
    """Runs shard functions in order: in this process, or on a pool of ``workers`` processes
    with at most ``2 * workers`` tasks in flight (memory stays bounded)."""

    def __init__(self, workers: int) -> None:
        self.pool = (
            ProcessPoolExecutor(
                max_workers=workers, mp_context=_context(), initializer=_exit_with, initargs=(os.getpid(),)
            )
            if workers > 1
            else None
        )
        self.depth = 2 * workers
        self.abandoned = False  # a dead worker found by _result, not by the pool

    def map(self, function: Callable[..., T], calls: Iterable[tuple[Any, ...]]) -> Iterator[T]:
        if self.pool is None:
            for args in calls:
                yield function(*args)
            return
        pending: deque[Future[T]] = deque()
        upcoming = iter(calls)
        try:
            for args in upcoming:
                pending.append(self.pool.submit(function, *args))
                if len(pending) >= self.depth:
                    break
            while pending:
                result = self._result(pending.popleft())
                for args in upcoming:
                    pending.append(self.pool.submit(function, *args))
                    break
                yield result
        except BrokenProcessPool as exc:  # from result() or from submit() once broken
            raise WorkerFailed(
                f"a generation worker process died ({exc}); nothing was kept",
                ["rerun; if it recurs, lower --workers (memory) or check the system log"],
            ) from None
        finally:
            for future in pending:
                future.cancel()

    def _result(self, future: Future[T]) -> T:
        """``future.result()``, also when the pool cannot tell that a worker died.

        A worker killed while it writes a result (SIGKILL, the OOM killer) can leave the
        pool's manager thread blocked reading the half-written message: the pool then
        never marks the worker dead and the future never resolves (seen once as a hung
        test under load). So wait in slices and check the workers' exit codes here too."""
        assert self.pool is not None
        while True:
            try:
                return future.result(timeout=_POLL_SECONDS)
            except TimeoutError:
                # _processes is the executor's own pid -> Process table (no public view).
                dead = [p for p in list((self.pool._processes or {}).values()) if p.exitcode is not None]
                if dead:
                    self.abandoned = True
                    worker = dead[0]
                    raise BrokenProcessPool(f"worker {worker.pid} exited ({worker.exitcode})") from None

    def close(self) -> None:
        if self.pool is None:
            return
        if self.abandoned:  # the pool's manager thread may be stuck in a read: free it
            # Its clean-up fails every future it still lists, and one map() cancelled
            # raises InvalidStateError in that thread (a traceback on the terminal).
            self.pool._pending_work_items.clear()
            processes = list((self.pool._processes or {}).values())
            for process in processes:
                process.kill()
            for process in processes:
                process.join(timeout=5)
            # This process holds a writing end of the result pipe too: with it closed and
            # every worker gone, the manager's read ends (EOF) and its thread exits instead
            # of blocking the interpreter's exit, which joins it.
            self.pool._result_queue._writer.close()  # type: ignore[attr-defined]
            self.pool.shutdown(wait=False, cancel_futures=True)
            return
        self.pool.shutdown(wait=True, cancel_futures=True)


class _DaskRunner:
    """The same shard functions on a Dask distributed cluster (the ``dask`` extra).

    Results come back to this process in task order, at most ``2 *`` the cluster's
    worker threads in flight; the workers need ``healthcare-data`` installed.
    """

    def __init__(self, address: str) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise ConfigurationError(
                f"--dask-scheduler {address} needs Dask: pip install 'healthcare-data[dask]'"
            ) from None
        try:
            self.client = Client(address, timeout="10s", set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ConfigurationError(
                f"Cannot reach the Dask scheduler {address!r}: {exc}; expected tcp://host:8786"
            ) from None
        threads = sum(self.client.nthreads().values()) or 1
        self.depth = 2 * threads

    def map(self, function: Callable[..., T], calls: Iterable[tuple[Any, ...]]) -> Iterator[T]:
        pending: deque[Any] = deque()
        upcoming = iter(calls)
        try:
            for args in upcoming:
                pending.append(self.client.submit(function, *args, pure=False))
                if len(pending) >= self.depth:
                    break
            while pending:
                result = pending.popleft().result()
                for args in upcoming:
                    pending.append(self.client.submit(function, *args, pure=False))
                    break
                yield result
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        self.client.close()


def _runner(workers: int, tasks: int, dask_scheduler: str | None) -> _Runner | _DaskRunner:
    """The Dask cluster when one is named, else a pool (in-process for a single task)."""
    return _DaskRunner(dask_scheduler) if dask_scheduler else _Runner(workers if tasks > 1 else 1)


def stream(
    plan: _Plan, rng: Randomness, size: int, workers: int, dask_scheduler: str | None = None
) -> Iterator[Batch]:
    """The whole dataset: global tables; every unit's patients, providers and appointments;
    then, dealt in proportion to what each unit can carry, its records and claims."""
    spec = plan.spec
    yield from global_rows(plan, rng, size)
    all_units = units(plan)
    work = tasks(all_units)
    seed, today = rng.seed_value, rng.today
    runner = _runner(workers, len(work), dask_scheduler)
    try:
        stores: list[tuple[_Store, int, int]] = []
        next_condition = plan.first["patient_conditions"]
        for batches, kept in runner.map(generate_task, ((seed, today, task, size) for task in work)):
            stores.extend(kept)
            for batch in batches:
                if batch.table == "patient_conditions":
                    for row in batch.rows:
                        row["id"] = next_condition
                        next_condition += 1
                yield batch
        if not (spec.medical_records or spec.insurance_claims):
            return
        visit_work = _visit_tasks(plan, all_units, stores, work)
        for batches in runner.map(visit_task, ((seed, today, task, size) for task in visit_work)):
            yield from batches
    finally:
        runner.close()


def _visit_tasks(
    plan: _Plan,
    all_units: Sequence[Unit],
    stores: list[tuple[_Store, int, int]],
    work: Sequence[tuple[Unit, ...]],
) -> list[tuple[Visits, ...]]:
    """The second phase's tasks: records and claims dealt to the units in proportion to
    the (completed, claimable) visits each holds, cut like the first phase's tasks.
    Empties ``stores`` (the Visits hold them now)."""
    spec = plan.spec
    generation._check_eligible(plan, (sum(s[1] for s in stores), sum(s[2] for s in stores)))
    records = allocate(spec.medical_records, [s[1] for s in stores])
    claims = allocate(spec.insurance_claims, [s[2] for s in stores])
    visits = [
        Visits(
            unit,
            store,
            records[k][1],
            claims[k][1],
            plan.first["medical_records"] + records[k][0],
            plan.first["insurance_claims"] + claims[k][0],
        )
        for k, (unit, (store, _, _)) in enumerate(zip(all_units, stores, strict=True))
    ]
    stores.clear()
    return tasks_of(visits, [len(task) for task in work])


def tasks_of(items: Sequence[Visits], sizes: Sequence[int]) -> list[tuple[Visits, ...]]:
    """``items`` cut into consecutive tasks of the given sizes (the first phase's tasks)."""
    out, start = [], 0
    for n in sizes:
        out.append(tuple(items[start : start + n]))
        start += n
    return out
