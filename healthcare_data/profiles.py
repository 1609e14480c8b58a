"""Seeding profiles: how many rows of each entity, and how fast they must arrive.

The four built-in profiles (``minimal``, ``standard``, ``load_test``, ``integration``)
are data in ``reference/profiles.toml`` with the QA seed document's counts and target
times (Clients -> patients, Notes -> medical records, Ledger entries -> claims).
A custom profile is a TOML or YAML file of the same shape, validated strictly:
unknown keys are rejected with the closest valid one, counts must be non-negative
integers, persona names must exist, and any field list passes the PHI guard.
Locations are dealt round-robin over the tenants, so a profile with tenants needs at
least one location per tenant (0 locations: one per tenant).

.. code-block:: toml

    name = "billing_regression"
    extends = "standard"          # optional: start from a built-in profile
    target_seconds = 180
    tenants = 2
    [counts]                      # or the document's names: Client, Note, LedgerEntry ...
    patients = 100
    insurance_claims = 600
    [persona_mix]                 # optional: persona -> weight
    elderly_patient = 3
    young_professional = 1
    [fields]                      # optional: the columns exports of this profile carry
    patients = ["patient_id", "first_name", "last_name", "date_of_birth"]
"""

from __future__ import annotations

import difflib
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any

from healthcare_data.errors import ConfigurationError
from healthcare_data.personas import PERSONAS
from healthcare_data.phi_guard import check_fields
from healthcare_data.population import Population
from healthcare_data.registry import Registry
from healthcare_data.schema import Base

# Entities a profile counts, in dependency order; each is a table of the schema.
ENTITIES: tuple[str, ...] = (
    "locations",
    "patients",
    "providers",
    "appointments",
    "medical_records",
    "insurance_claims",
)
# The QA seed document's entity names (record_counts keys) -> ours.
ENTITY_ALIASES: dict[str, str] = {
    "client": "patients",
    "clients": "patients",
    "patient": "patients",
    "provider": "providers",
    "appointment": "appointments",
    "note": "medical_records",
    "notes": "medical_records",
    "medical_record": "medical_records",
    "ledgerentry": "insurance_claims",
    "ledger_entry": "insurance_claims",
    "ledger_entries": "insurance_claims",
    "ledgerentries": "insurance_claims",
    "claim": "insurance_claims",
    "claims": "insurance_claims",
    "insurance_claim": "insurance_claims",
    "location": "locations",
}
PROFILE_KEYS: tuple[str, ...] = (
    "name",
    "title",
    "description",
    "extends",
    "target_seconds",
    "target_records_per_second",
    "tenants",
    "months",
    "counts",
    "persona_mix",
    "fields",
)
# The QA seed document's QADataProfile spellings.
KEY_ALIASES: dict[str, str] = {
    "target_seed_time_seconds": "target_seconds",
    "record_counts": "counts",
}


@dataclass(frozen=True)
class Profile:
    """Row counts, tenancy and the time target of one seeding run."""

    name: str
    title: str
    description: str
    target_seconds: float
    counts: Mapping[str, int]
    tenants: int = 0
    months: int = 6
    target_records_per_second: float | None = None
    persona_mix: Mapping[str, float] | None = None
    fields: Mapping[str, tuple[str, ...]] | None = None
    source: str | None = None  # the file a custom profile came from
    population: Population | None = None  # --gender/--age/--state/--city filters

    def count(self, entity: str) -> int:
        return int(self.counts.get(entity, 0))

    @property
    def total_records(self) -> int:
        """Rows the profile asks for (generation adds dependent rows such as conditions)."""
        return sum(self.counts.values())

    def with_overrides(
        self,
        *,
        tenants: int | None = None,
        months: int | None = None,
        target_seconds: float | None = None,
        **counts: int | None,
    ) -> Profile:
        """A copy with some counts, the tenant count or the months replaced (validated)."""
        new_counts = dict(self.counts)
        for entity, value in counts.items():
            if value is None:
                continue
            if entity not in ENTITIES:
                raise ConfigurationError(f"Unknown entity {entity!r}; known: {', '.join(ENTITIES)}")
            new_counts[entity] = _non_negative(value, entity)
        profile = replace(
            self,
            counts=new_counts,
            tenants=self.tenants if tenants is None else _non_negative(tenants, "tenants"),
            months=self.months if months is None else _positive(months, "months"),
            target_seconds=self.target_seconds
            if target_seconds is None
            else float(_positive(target_seconds, "target_seconds")),
        )
        _check_consistent(profile)
        return profile

    def summary_rows(self) -> list[dict[str, object]]:
        return [{"entity": e, "rows": self.count(e)} for e in ENTITIES]


def _non_negative(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(f"{what} must be a whole number >= 0, got {value!r}")
    if value < 0:
        raise ConfigurationError(f"{what} must be >= 0, got {value!r}")
    return value


def _positive(value: Any, what: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigurationError(f"{what} must be a number > 0, got {value!r}")
    return value


def _check_consistent(profile: Profile) -> None:
    """Dependent rows need something to depend on."""
    needs = [e for e in ("appointments", "medical_records", "insurance_claims") if profile.count(e)]
    if needs and (profile.count("patients") == 0 or profile.count("providers") == 0):
        raise ConfigurationError(
            f"Profile {profile.name!r} asks for {', '.join(needs)} but has "
            f"{profile.count('patients')} patients and {profile.count('providers')} providers; "
            "both must be > 0"
        )
    if profile.tenants and profile.tenants > max(profile.count("providers"), 1):
        raise ConfigurationError(
            f"Profile {profile.name!r} has {profile.tenants} tenants but only "
            f"{profile.count('providers')} providers; each tenant needs at least one provider"
        )
    locations = profile.count("locations")
    if 0 < locations < profile.tenants:
        # Locations are dealt round-robin over the tenants; 0 means "one per tenant".
        raise ConfigurationError(
            f"Profile {profile.name!r} has {profile.tenants} tenants but only {locations} locations; "
            f"each tenant needs at least one location (--locations {profile.tenants} or more)"
        )


def _unknown_key(kind: str, key: str, known: tuple[str, ...], where: str) -> ConfigurationError:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}? " if close else "; "
    return ConfigurationError(f"Unknown {kind} {key!r} in {where}{hint}Known: {', '.join(known)}")


def _entity(key: str, where: str) -> str:
    if key in ENTITIES:
        return key
    alias = ENTITY_ALIASES.get(key.strip().lower().replace("-", "_"))
    if alias is None:
        alias = ENTITY_ALIASES.get(key.strip().lower().replace("_", "").replace("-", ""))
    if alias is None:
        raise _unknown_key("entity", key, ENTITIES, where)
    return alias


def profile_from_mapping(data: Mapping[str, Any], *, source: str | None = None) -> Profile:
    """Build and validate a profile from a parsed TOML/YAML document."""
    where = source or "profile"
    if not isinstance(data, Mapping):
        raise ConfigurationError(f"{where} must be a mapping of settings, got {type(data).__name__}")
    doc: dict[str, Any] = {}
    for key, value in data.items():
        canonical = KEY_ALIASES.get(key, key)
        if canonical not in PROFILE_KEYS:
            raise _unknown_key("profile key", str(key), PROFILE_KEYS, where)
        doc[canonical] = value

    base: Profile | None = None
    if "extends" in doc:
        base = PROFILES.get(str(doc["extends"]))
    name = str(doc.get("name") or (Path(source).stem if source else "custom"))

    counts: dict[str, int] = dict(base.counts) if base else dict.fromkeys(ENTITIES, 0)
    raw_counts = doc.get("counts", {})
    if not isinstance(raw_counts, Mapping):
        raise ConfigurationError(f"'counts' in {where} must be a table of entity = number")
    for key, value in raw_counts.items():
        entity = _entity(str(key), where)
        counts[entity] = _non_negative(value, f"counts.{key} in {where}")
    if base is None and not raw_counts:
        raise ConfigurationError(f"{where} has no [counts] and extends no profile; nothing to seed")

    target = doc.get("target_seconds", base.target_seconds if base else None)
    if target is None:
        raise ConfigurationError(f"{where} needs target_seconds (the time the seeding must beat)")
    target = float(_positive(target, f"target_seconds in {where}"))
    rps = doc.get("target_records_per_second", base.target_records_per_second if base else None)
    if rps is not None:
        rps = float(_positive(rps, f"target_records_per_second in {where}"))

    persona_mix = _persona_mix(doc.get("persona_mix"), where) if "persona_mix" in doc else None
    fields = _fields(doc.get("fields"), where) if "fields" in doc else None

    profile = Profile(
        name=name,
        title=str(doc.get("title") or (base.title if base else f"Custom profile {name}")),
        description=str(doc.get("description") or (base.description if base else "")),
        target_seconds=target,
        counts=counts,
        tenants=_non_negative(doc.get("tenants", base.tenants if base else 0), f"tenants in {where}"),
        months=int(_positive(doc.get("months", base.months if base else 6), f"months in {where}")),
        target_records_per_second=rps,
        persona_mix=persona_mix if persona_mix is not None else (base.persona_mix if base else None),
        fields=fields if fields is not None else (base.fields if base else None),
        source=source,
    )
    _check_consistent(profile)
    return profile


def _persona_mix(raw: Any, where: str) -> dict[str, float]:
    if not isinstance(raw, Mapping) or not raw:
        raise ConfigurationError(f"persona_mix in {where} must be a non-empty table of persona = weight")
    mix: dict[str, float] = {}
    for name, weight in raw.items():
        PERSONAS.get(str(name))  # UnknownNameError with the closest persona
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
            raise ConfigurationError(f"persona_mix.{name} in {where} must be a number > 0, got {weight!r}")
        mix[str(name)] = float(weight)
    return mix


def _fields(raw: Any, where: str) -> dict[str, tuple[str, ...]]:
    """Per-table column lists: PHI guard first, then the columns must exist."""
    if not isinstance(raw, Mapping):
        raise ConfigurationError(f"fields in {where} must be a table of table = [columns]")
    tables = tuple(t.name for t in Base.metadata.sorted_tables)
    chosen: dict[str, tuple[str, ...]] = {}
    for table, columns in raw.items():
        if table not in tables:
            raise _unknown_key("table", str(table), tables, where)
        if isinstance(columns, str) or not isinstance(columns, list | tuple):
            raise ConfigurationError(f"fields.{table} in {where} must be a list of column names")
        names = [str(c) for c in columns]
        check_fields(names, table=str(table), context=f"custom profile {where}")
        known = tuple(Base.metadata.tables[table].columns.keys())
        for column in names:
            if column not in known:
                raise _unknown_key(f"column of {table}", column, known, where)
        chosen[str(table)] = tuple(names)
    return chosen


def load_profile_file(path: str | Path) -> Profile:
    """Read a custom profile from a ``.toml``, ``.yaml`` or ``.yml`` file."""
    file = Path(path)
    if not file.is_file():
        raise ConfigurationError(f"Profile file {str(file)!r} does not exist")
    suffix = file.suffix.lower()
    try:
        if suffix == ".toml":
            data = tomllib.loads(file.read_text("utf-8"))
        elif suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(file.read_text("utf-8")) or {}
        else:
            raise ConfigurationError(
                f"Profile file {str(file)!r} must end in .toml, .yaml or .yml, not {suffix or '(none)'!r}"
            )
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        if isinstance(exc, ConfigurationError):
            raise
        first = str(exc).strip().splitlines()[0]
        raise ConfigurationError(f"Profile file {str(file)!r} is not valid {suffix[1:]}: {first}") from None
    except Exception as exc:  # yaml.YAMLError without importing yaml at module level
        if exc.__class__.__module__.startswith("yaml"):
            first = str(exc).strip().splitlines()[0]
            raise ConfigurationError(f"Profile file {str(file)!r} is not valid YAML: {first}") from None
        raise
    return profile_from_mapping(data, source=str(file))


def _looks_like_path(value: str) -> bool:
    return value.lower().endswith((".toml", ".yaml", ".yml")) or "/" in value or "\\" in value


def resolve_profile(profile: Profile | str) -> Profile:
    """A Profile as is, a built-in profile by name, or a custom profile file by path."""
    if isinstance(profile, Profile):
        return profile
    if _looks_like_path(profile):
        return load_profile_file(profile)
    return PROFILES.get(profile)


def _builtin() -> Registry[Profile]:
    registry: Registry[Profile] = Registry("profile")
    text = resources.files("healthcare_data.reference").joinpath("profiles.toml").read_text("utf-8")
    data = tomllib.loads(text)
    common = data.pop("common", {})
    data.pop("scenarios", None)  # scaled datasets of the acceptance suite: scenario_profile
    for name, row in data.items():
        mix = row.get("persona_mix", common.get("persona_mix"))
        registry.register(
            name,
            Profile(
                name=name,
                title=row["title"],
                description=row["description"],
                target_seconds=float(row["target_seconds"]),
                counts={e: int(row["counts"].get(e, 0)) for e in ENTITIES},
                tenants=int(row.get("tenants", common.get("tenants", 0))),
                months=int(row.get("months", common.get("months", 6))),
                target_records_per_second=row.get("target_records_per_second"),
                persona_mix=dict(mix) if mix else None,
            ),
        )
    return registry


PROFILES: Registry[Profile] = _builtin()


def _scenarios() -> Registry[Mapping[str, Any]]:
    registry: Registry[Mapping[str, Any]] = Registry("scenario dataset")
    text = resources.files("healthcare_data.reference").joinpath("profiles.toml").read_text("utf-8")
    for name, row in tomllib.loads(text).get("scenarios", {}).items():
        registry.register(name, row)
    return registry


SCENARIOS: Registry[Mapping[str, Any]] = _scenarios()


def scenario_profile(name: str, patients: int) -> Profile:
    """The scenario dataset ``name`` of ``profiles.toml`` scaled to ``patients`` requested patients.

    One source for the acceptance suite's Given datasets (``relationships``: every
    relationship, quick; ``validation``: every persona, many specialties), callable from pytest.
    """
    row = SCENARIOS.get(name)

    def scaled(entity: str, base: int) -> int:
        rule = row[entity]
        return max(int(rule.get("min", 0)), math.floor(base * Fraction(rule["per"])))

    n = scaled("patients", _non_negative(patients, "patients"))
    counts = {e: (n if e == "patients" else scaled(e, n)) if e in row else 0 for e in ENTITIES}
    return Profile(name=name, title=name, description=row["description"], target_seconds=0.0, counts=counts)

__all__ = [
    "ENTITIES",
    "PROFILES",
    "SCENARIOS",
    "Profile",
    "load_profile_file",
    "profile_from_mapping",
    "resolve_profile",
    "scenario_profile",
]
