"""The bulk engine's plan: what is decided up front from the spec, and the compact store.

:class:`_Plan` holds the id ranges, tenants, care groups and appointment quotas;
:class:`_Store` the per-entity facts later tables need, in typed arrays (sizes in
:mod:`healthcare_data.generation`'s docstring); the index tables map reference names
to the one-byte codes those arrays hold.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from healthcare_data.dataset_spec import GROUP_PROVIDERS, ID_TABLES, DatasetSpec, _part_of, _split
from healthcare_data.personas import PERSONAS, PatientPersona
from healthcare_data.randomness import Randomness, Weighted
from healthcare_data.reference import (
    APPOINTMENT_TYPES,
    CONDITIONS,
    PAYERS,
    PRACTICE_TYPES,
    SPECIALTIES,
)
from healthcare_data.rows.appointments import APPOINTMENT_STATUSES
from healthcare_data.rows.claims import is_claimable
from healthcare_data.scheduling import SLOTS_PER_DAY

_CONDITIONS = tuple(c for _, c in CONDITIONS.items())
_CONDITION_INDEX = {c.name: i for i, c in enumerate(_CONDITIONS)}
_PAYERS = tuple(p for _, p in PAYERS.items())
_PAYER_INDEX = {p.name: i + 1 for i, p in enumerate(_PAYERS)}  # 0 = uninsured
_SPECIALTIES = tuple(SPECIALTIES.names())
_SPECIALTY_INDEX = {s: i for i, s in enumerate(_SPECIALTIES)}
_MAX_PACKED_CONDITIONS = 8
_PRACTICES: tuple[str, ...] = PRACTICE_TYPES
_PRACTICE_INDEX = {p: i for i, p in enumerate(_PRACTICES)}
_APPOINTMENT_TYPES: tuple[str, ...] = tuple(APPOINTMENT_TYPES.names())


def _zeros(typecode: str, n: int) -> array[Any]:
    """A preallocated array (no doubling reallocations while it fills)."""
    return array(typecode, bytes(array(typecode).itemsize * n))


# --- the engine ----------------------------------------------------------------------------


class _Plan:
    """Everything decided up front from the spec: id ranges, tenants, groups, quotas."""

    def __init__(self, spec: DatasetSpec, rng: Randomness, tenant_id: int | None = None) -> None:
        self.spec = spec
        # A shard's plan (healthcare_data.shards) belongs to one tenant of the whole dataset.
        self.fixed_tenant = tenant_id
        self.today = rng.today
        self.window_start = spec.window_start(rng.today)
        self.window_days = spec.window_days
        self.epoch = datetime.combine(self.window_start, datetime.min.time())
        self.first = {t: spec.first_id(t) for t in ID_TABLES}
        personas = (
            {name: 1.0 for name in PERSONAS.names()} if spec.persona_mix is None else dict(spec.persona_mix)
        )
        if spec.population is not None:
            personas = spec.population.persona_mix(personas)
        self.personas: tuple[PatientPersona, ...] = tuple(PERSONAS.get(n) for n in personas)
        self.persona_weights = Weighted({i: w for i, w in enumerate(personas.values())})
        self.specialty_weights = None if spec.specialty_mix is None else Weighted(dict(spec.specialty_mix))
        tenant_count = max(spec.tenants, 1)
        # Contiguous blocks: tenant k owns patients/providers in these index ranges.
        self.patient_blocks = _split(spec.patients, tenant_count)
        self.provider_blocks = _split(spec.providers, tenant_count)
        self.tenant_count = tenant_count

        self.completed_status = APPOINTMENT_STATUSES.index("completed")
        # Which stored payer indexes draft_claim accepts (index 0: uninsured), by its own rule.
        self.claimable_payer = tuple(
            is_claimable({"insurance_provider": None if k == 0 else _PAYERS[k - 1].name})
            for k in range(len(_PAYERS) + 1)
        )

    def quota_of(self, j: int) -> int:
        """Appointments of provider ``j``: an even share (providers differ by at most one)."""
        size, extra = divmod(self.spec.appointments, max(self.spec.providers, 1))
        return size + (1 if j < extra else 0)

    def provider_of(self, a: int) -> int:
        """The provider index of appointment position ``a`` (appointments go provider by provider)."""
        return _part_of(a, self.spec.appointments, max(self.spec.providers, 1))

    def patient_tenant(self, i: int) -> int | None:
        if self.fixed_tenant is not None:
            return self.fixed_tenant
        if not self.spec.tenants:
            return None
        return self.first["tenants"] + _part_of(i, self.spec.patients, self.tenant_count)

    def provider_tenant(self, j: int) -> int | None:
        if self.fixed_tenant is not None:
            return self.fixed_tenant
        if not self.spec.tenants:
            return None
        return self.first["tenants"] + _part_of(j, self.spec.providers, self.tenant_count)

    def tenant_id(self, tenant_index: int) -> int | None:
        if self.fixed_tenant is not None:
            return self.fixed_tenant
        return None if not self.spec.tenants else self.first["tenants"] + tenant_index

    def groups(self) -> Iterator[tuple[int, tuple[int, int], tuple[int, int]]]:
        """(tenant index, provider index range, patient index range) per care group."""
        for t, ((p0, p1), (q0, q1)) in enumerate(zip(self.provider_blocks, self.patient_blocks, strict=True)):
            if p1 == p0:
                continue
            count = max(1, min(math.ceil((p1 - p0) / GROUP_PROVIDERS), max(q1 - q0, 1)))
            for (a, b), (c, d) in zip(_split(p1 - p0, count), _split(q1 - q0, count), strict=True):
                yield t, (p0 + a, p0 + b), (q0 + c, q0 + d)


class _Store:
    """Compact per-entity facts later tables need (see the module docstring for sizes)."""

    def __init__(self, spec: DatasetSpec) -> None:
        n = spec.patients
        self.birth = _zeros("i", n)  # date ordinal
        self.persona = _zeros("B", n)
        self.payer = _zeros("B", n)  # 0 = uninsured, else index+1 into _PAYERS
        self.conditions = _zeros("Q", n)  # up to 8 condition indexes + 1, one byte each
        m = spec.providers
        self.specialty = _zeros("B", m)
        self.practice = _zeros("B", m)
        a = spec.appointments
        self.appt_patient = _zeros("i", a)
        # Start as a 15-minute slot number since the window's first midnight: the
        # Scheduler books on that grid, and 2 bytes cover windows of up to 682 days.
        self.appt_slot = _zeros("H" if spec.window_days * SLOTS_PER_DAY < 2**16 else "i", a)
        self.appt_duration = _zeros("B", a)  # minutes (visit types last at most 2 hours)
        self.appt_type = _zeros("B", a)
        self.appt_status = _zeros("B", a)
