"""Statistical realism: do generated demographics follow the personas and the population?

Tests (SciPy, imported on first use because it takes a second to load):

* categorical shares (gender, state): chi-square goodness of fit. Expected counts
  below 5 make the chi-square approximation invalid, so the smallest categories are
  merged (e.g. "other" into "male") until every expected count is at least 5; when
  even two merged buckets are too small the exact binomial test is used instead.
* ages: Kolmogorov-Smirnov against the uniform distribution on ``[low, high + 1)``,
  the exact age of someone whose completed-years age is uniform on ``low..high``.
  Whole-year ages are spread evenly inside their year first (a 70-year-old is
  somewhere in [70, 71)), so discrete input does not fail a continuous test.

A deterministic dataset is tested once, and at ``alpha`` = 1% an honest generator
would still fail one test in a hundred; with many personas and tests that is a
flaky suite. So a test *fails* only when it is significant (``p < alpha``) **and**
the deviation matters: the largest gap between observed and expected share (for
ages, the KS distance, also a share) exceeds ``tolerance``. ``tolerance=0`` gives
the plain significance test.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from healthcare_data.personas import PERSONAS, PatientPersona
from healthcare_data.reference import STATE_WEIGHTS
from healthcare_data.rules import declared
from healthcare_data.rules.patients import PERSONA_AGE_RANGE
from healthcare_data.schema import Base
from healthcare_data.violations import STATISTICS, ValidationReport, Violation

log = logging.getLogger(__name__)

MIN_EXPECTED = 5.0  # the usual validity rule of the chi-square approximation
MAX_LISTED = 1000  # per-patient violations listed per persona before summarising


@dataclass(frozen=True)
class StatResult:
    """Outcome of one statistical test, with the numbers a reader needs to judge it."""

    name: str
    statistic: float
    p_value: float
    ok: bool
    detail: str
    method: str = ""
    n: int = 0
    observed: Mapping[str, float] = field(default_factory=dict)  # share per category or age band
    expected: Mapping[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the test, statistic, p-value and observed vs expected shares."""
        finite = math.isfinite(self.statistic)
        return {
            "test": self.name,
            "method": self.method,
            "statistic": round(self.statistic, 6) if finite else None,
            "p_value": self.p_value,
            "n": self.n,
            "ok": self.ok,
            "observed": {k: round(v, 4) for k, v in self.observed.items()},
            "expected": {k: round(v, 4) for k, v in self.expected.items()},
            "detail": self.detail,
        }


@dataclass
class DistributionReport(ValidationReport):
    """A validation report that also keeps every test run, passed or failed."""

    tests: list[StatResult] = field(default_factory=list)
    skipped: str | None = None  # why the statistical tests did not run (SciPy missing)


SCIPY_MISSING = (
    "statistical tests skipped: SciPy is not installed (pip install 'healthcare-data[stats]'); "
    "age ranges were still checked"
)


def scipy_available() -> bool:
    """True when SciPy and NumPy import (they are the optional ``stats`` extra)."""
    try:
        import numpy  # noqa: F401
        import scipy.stats  # noqa: F401
    except ImportError:
        return False
    return True


# --- categorical shares --------------------------------------------------------------


def _percent(share: float) -> str:
    return f"{share:.1%}"


def _merge_small(shares: dict[str, float], n: int) -> list[tuple[str, float]]:
    """Merge the two smallest buckets until every expected count is >= MIN_EXPECTED (or 2 remain)."""
    buckets = sorted(shares.items(), key=lambda item: (item[1], item[0]))
    while len(buckets) > 2 and buckets[0][1] * n < MIN_EXPECTED:
        (a, pa), (b, pb) = buckets[0], buckets[1]
        buckets = sorted([(f"{b}+{a}", pa + pb), *buckets[2:]], key=lambda item: (item[1], item[0]))
    return buckets


def categorical_test(
    name: str,
    observed: Mapping[str, int],
    expected_share: Mapping[str, float],
    alpha: float = 0.01,
    tolerance: float = 0.0,
) -> StatResult:
    """Goodness of fit of category counts to expected shares (see module docstring)."""
    from scipy import stats

    if not expected_share or any(w < 0 for w in expected_share.values()):
        raise ValueError(f"expected shares must be non-negative and not empty, got {dict(expected_share)!r}")
    total_weight = float(sum(expected_share.values()))
    shares = {k: w / total_weight for k, w in expected_share.items() if w > 0}
    counts = {k: int(v) for k, v in observed.items() if v}
    n = sum(counts.values())
    if n == 0:
        return StatResult(name, 0.0, 1.0, True, "no observations", "none", 0)
    unexpected = {k: c for k, c in counts.items() if k not in shares}
    if unexpected:
        listed = ", ".join(f"{k!r} x{c}" for k, c in sorted(unexpected.items()))
        return StatResult(
            name,
            math.inf,
            0.0,
            False,
            f"observed {listed}, which the expected distribution never produces "
            f"(expected categories: {', '.join(sorted(shares))})",
            "support",
            n,
        )
    gaps = {k: counts.get(k, 0) / n - s for k, s in shares.items()}
    worst = max(gaps, key=lambda k: (abs(gaps[k]), k))
    buckets = _merge_small(shares, n)
    observed_by_bucket = [sum(counts.get(part, 0) for part in label.split("+")) for label, _ in buckets]
    if len(buckets) == 1:
        statistic, p_value, method = 0.0, 1.0, "trivial (one category)"
    elif all(share * n >= MIN_EXPECTED for _, share in buckets):
        expected = [share * n for _, share in buckets]
        result = stats.chisquare(observed_by_bucket, f_exp=expected)
        statistic, p_value = float(result.statistic), float(result.pvalue)
        method = f"chi-square, df {len(buckets) - 1}"
    else:
        (label, share), count = buckets[-1], observed_by_bucket[-1]
        result = stats.binomtest(count, n, share)
        statistic, p_value = float(count), float(result.pvalue)
        method = f"exact binomial on {label!r}"
    significant = p_value < alpha
    ok = not significant or abs(gaps[worst]) <= tolerance
    shares_text = ", ".join(
        f"{k} {_percent(counts.get(k, 0) / n)} vs {_percent(s)}" for k, s in sorted(shares.items())[:8]
    )
    more = "" if len(shares) <= 8 else f", ... ({len(shares)} categories)"
    detail = (
        f"{method}: statistic {statistic:.3f}, p={p_value:.3g} (alpha {alpha:.3g}), n={n}; "
        f"largest gap {worst} {gaps[worst]:+.1%} (tolerance {_percent(tolerance)}); "
        f"observed vs expected: {shares_text}{more}"
    )
    observed_shares = {k: counts.get(k, 0) / n for k in shares}
    return StatResult(name, statistic, p_value, ok, detail, method, n, observed_shares, shares)


def gender_distribution_test(
    observed: Mapping[str, int],
    expected_share: Mapping[str, float],
    alpha: float = 0.01,
    tolerance: float = 0.0,
) -> StatResult:
    """Do gender counts fit the persona's gender weights? (chi-square or exact binomial)."""
    return categorical_test("gender_distribution", observed, expected_share, alpha, tolerance)


def state_distribution_test(
    observed_states: Mapping[str, int] | Iterable[str],
    weights: Mapping[str, float] = STATE_WEIGHTS,
    alpha: float = 0.01,
    tolerance: float = 0.0,
) -> StatResult:
    """Do patients' states follow the population weights (reference.STATE_WEIGHTS)?"""
    counts = observed_states if isinstance(observed_states, Mapping) else Counter(observed_states)
    return categorical_test("state_distribution", counts, weights, alpha, tolerance)


# --- ages ----------------------------------------------------------------------------


def completed_years(date_of_birth: date, today: date) -> int:
    """Age in completed years on ``today`` (one less while the birthday is still to come)."""
    before_birthday = (today.month, today.day) < (date_of_birth.month, date_of_birth.day)
    return today.year - date_of_birth.year - before_birthday


def _age_counts(ages: Mapping[Any, int] | Iterable[float]) -> Counter[float]:
    if isinstance(ages, Mapping):
        return Counter({float(a): int(c) for a, c in ages.items() if c})
    return Counter(float(a) for a in ages)


def age_range_share(ages: Mapping[Any, int] | Iterable[float], low: float, high: float) -> float:
    """Share of ages within ``[low, high]`` (whole years inclusive); 0.0 when there are none.

    An empty input gives 0.0, not 1.0, so "all elderly patients are 65-95" cannot pass
    vacuously on a dataset that generated nobody.
    """
    counts = _age_counts(ages)
    n = sum(counts.values())
    if n == 0:
        return 0.0
    return sum(c for age, c in counts.items() if low <= age < high + 1) / n


def age_distribution_test(
    ages: Mapping[Any, int] | Iterable[float],
    low: int,
    high: int,
    alpha: float = 0.01,
    tolerance: float = 0.0,
) -> StatResult:
    """KS test of ages against uniform on ``[low, high + 1)``.

    ``ages`` is a sequence of ages or an age -> count mapping (what GROUP BY returns).
    Whole-number ages are spread evenly inside their year before testing.
    """
    import numpy as np
    from scipy import stats

    if high < low:
        raise ValueError(f"age range must have low <= high, got ({low}, {high})")
    counts = _age_counts(ages)
    n = sum(counts.values())
    name = "age_distribution"
    if n == 0:
        return StatResult(name, 0.0, 1.0, True, "no observations", "none", 0)
    parts = []
    for age, count in sorted(counts.items()):
        if age.is_integer():
            parts.append(age + (np.arange(count) + 0.5) / count)
        else:
            parts.append(np.full(count, age))
    values = np.concatenate(parts)
    result = stats.kstest(values, "uniform", args=(low, high + 1 - low))
    statistic, p_value = float(result.statistic), float(result.pvalue)
    outside = int(np.count_nonzero((values < low) | (values >= high + 1)))
    ok = not (p_value < alpha and statistic > tolerance)
    detail = (
        f"Kolmogorov-Smirnov vs uniform ages {low}-{high}: D={statistic:.4f}, p={p_value:.3g} "
        f"(alpha {alpha:.3g}, tolerance {_percent(tolerance)}), n={n}, {outside} outside the range"
    )
    observed, expected = _age_band_shares(counts, n, low, high)
    return StatResult(name, statistic, p_value, ok, detail, "kolmogorov-smirnov", n, observed, expected)


def _age_band_shares(
    counts: Mapping[float, int], n: int, low: int, high: int, bands: int = 5
) -> tuple[dict[str, float], dict[str, float]]:
    """Observed vs uniform-expected shares of ages in up to ``bands`` equal bands of the range."""
    years = high - low + 1
    width = max(1, math.ceil(years / bands))
    observed: dict[str, float] = {}
    expected: dict[str, float] = {}
    for start in range(low, high + 1, width):
        stop = min(start + width - 1, high)
        label = f"{start}-{stop}"
        observed[label] = sum(c for age, c in counts.items() if start <= age < stop + 1) / n
        expected[label] = (stop - start + 1) / years
    return observed, expected


# --- the whole database --------------------------------------------------------------


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a non-leap target year
        return day.replace(year=day.year - years, day=28)


def birth_date_bounds(low: int, high: int, today: date) -> tuple[date, date]:
    """(earliest, latest) date of birth of someone aged ``low..high`` on ``today``."""
    return _years_before(today, high + 1) + timedelta(days=1), _years_before(today, low)


def persona_distribution_report(
    conn: Connection, today: date, tolerance: float = 0.05, alpha: float = 0.01
) -> DistributionReport:
    """Compare each persona's patients in the database with the persona definition.

    Per persona: every age must be inside ``age_range`` (one violation per patient,
    at most MAX_LISTED listed, then a summary), ages must look uniform over the range
    and genders must follow ``demographics.gender_weights``. Patients of personas
    without an ``address_region`` must follow the national state weights.
    ``checked`` is the number of patients with a persona.

    ``alpha`` is the family-wise false-alarm rate: with m tests each one is run at
    ``alpha / m`` (Bonferroni), so an honest dataset with five personas is not failed
    one time in ten just because eleven tests each had a 1% chance.
    """
    patients, profiles = Base.metadata.tables["patients"], Base.metadata.tables["patient_profiles"]
    joined = patients.join(profiles, profiles.c.patient_id == patients.c.id)
    grouped = (
        select(profiles.c.persona, patients.c.gender, patients.c.date_of_birth, func.count())
        .select_from(joined)
        .where(profiles.c.persona.isnot(None))
        .group_by(profiles.c.persona, patients.c.gender, patients.c.date_of_birth)
    )
    genders: dict[str, Counter[str]] = {}
    ages: dict[str, Counter[int]] = {}
    age_of: dict[date, int] = {}
    for persona, gender, born, count in conn.execute(grouped):
        genders.setdefault(persona, Counter())[gender or "unknown"] += count
        if born is not None:
            age = age_of.get(born)
            if age is None:
                age = age_of[born] = completed_years(born, today)
            ages.setdefault(persona, Counter())[age] += count
    report = DistributionReport(name="data_quality", checked=sum(sum(c.values()) for c in genders.values()))
    testing = scipy_available()
    if not testing:
        report.skipped = SCIPY_MISSING
        log.info(SCIPY_MISSING)  # the CLI prints it as a note; -v logs it too
    known = [name for name in sorted(genders) if name in PERSONAS]
    national = [name for name in known if PERSONAS.get(name).contact.address_region is None]
    alpha = alpha / max(1, 2 * len(known) + bool(national))
    for name in sorted(genders):
        if name not in PERSONAS:
            report.add([_unknown_persona(name, sum(genders[name].values()))])
            continue
        persona = PERSONAS.get(name)
        low, high = persona.age_range
        age_counts = ages.get(name, Counter())
        outside = sum(c for age, c in age_counts.items() if not low <= age <= high)
        if outside:
            report.add(_out_of_range_patients(conn, persona, today, outside))
        if not testing:
            continue
        gender_result = gender_distribution_test(
            genders[name], persona.demographics.gender_weights, alpha, tolerance
        )
        age_result = age_distribution_test(age_counts, low, high, alpha, tolerance)
        for result, column in ((gender_result, "gender"), (age_result, "date_of_birth")):
            result = replace(result, name=f"{name}.{result.name}")
            report.tests.append(result)
            if not result.ok:
                report.add([_failed_test(name, column, result)])
    if national and testing:
        states = (
            select(patients.c.address_state, func.count())
            .select_from(joined)
            .where(profiles.c.persona.in_(national), patients.c.address_state.isnot(None))
            .group_by(patients.c.address_state)
        )
        state_result = state_distribution_test(
            dict(conn.execute(states).all()), STATE_WEIGHTS, alpha, tolerance
        )
        report.tests.append(state_result)
        if not state_result.ok:
            report.add([_failed_test("all", "address_state", state_result)])
    return report


def _failed_test(persona: str, column: str, result: StatResult) -> Violation:
    return Violation(
        entity="patients",
        key=f"persona:{persona}",
        field=column,
        rule=result.name.rsplit(".", 1)[-1],
        message=f"{result.name} does not fit: {result.detail}",
        recovery="generate these patients from the persona definition instead of overriding it",
        category=STATISTICS,
    )


def _unknown_persona(name: str, count: int) -> Violation:
    return Violation(
        entity="patient_profiles",
        key=f"persona:{name}",
        field="persona",
        rule=declared.UNKNOWN_PERSONA.name,
        message=f"{count} patients have persona {name!r}; known: {', '.join(PERSONAS.names())}",
        recovery="use one of the registered personas",
        category=STATISTICS,
    )


def _out_of_range_patients(
    conn: Connection, persona: PatientPersona, today: date, outside: int
) -> list[Violation]:
    """One violation per patient whose age is outside the persona's range (capped)."""
    patients, profiles = Base.metadata.tables["patients"], Base.metadata.tables["patient_profiles"]
    low, high = persona.age_range
    earliest, latest = birth_date_bounds(low, high, today)
    query = (
        select(patients.c.patient_id, patients.c.date_of_birth)
        .select_from(patients.join(profiles, profiles.c.patient_id == patients.c.id))
        .where(
            profiles.c.persona == persona.name,
            (patients.c.date_of_birth < earliest) | (patients.c.date_of_birth > latest),
        )
        .order_by(patients.c.id)
        .limit(MAX_LISTED)
    )
    violations = [
        Violation(
            entity="patients",
            key=key,
            field="date_of_birth",
            rule=PERSONA_AGE_RANGE.name,
            message=(
                f"patient {key} born {born} is {completed_years(born, today)} on {today}, "
                f"outside {persona.name}'s ages {low}-{high}"
            ),
            recovery=f"use a birth date between {earliest} and {latest} or another persona",
            category=STATISTICS,
        )
        for key, born in conn.execute(query)
    ]
    if outside > len(violations):
        violations.append(
            Violation(
                entity="patients",
                key=f"persona:{persona.name}",
                field="date_of_birth",
                rule=PERSONA_AGE_RANGE.name,
                message=f"{outside} {persona.name} patients are outside ages {low}-{high} "
                f"({len(violations)} listed)",
                recovery="regenerate these patients from the persona",
                category=STATISTICS,
            )
        )
    return violations
