"""Identifiers that are valid by construction and unique by construction.

Every identifier is a function of a *serial number* ``n`` (in the library: the row's
primary key). A fixed affine permutation ``n -> (a*n + c) mod m`` with ``gcd(a, m) = 1``
maps distinct serials to distinct values that do not look sequential, so uniqueness
needs no lookup table, holds across batches and append runs, and costs nothing at
a million rows.
"""

from __future__ import annotations

import math
import re

from stdnum import luhn
from stdnum.us import ssn as stdnum_ssn

from healthcare_data.errors import ConfigurationError
from healthcare_data.reference import LICENSE_FORMATS, LicenseFormat, Payer, license_format


class SerialPermutation:
    """A bijection of ``range(modulus)`` used to scramble serial numbers."""

    def __init__(self, modulus: int, multiplier: int, offset: int) -> None:
        if math.gcd(multiplier, modulus) != 1:
            raise ValueError(f"multiplier {multiplier} is not coprime with {modulus}")
        self.modulus = modulus
        self.multiplier = multiplier
        self.offset = offset

    def __call__(self, serial: int) -> int:
        if not 0 < serial < self.modulus:
            raise ConfigurationError(
                f"serial {serial!r} is outside 1..{self.modulus - 1}; the identifier space is used up"
            )
        return (self.multiplier * serial + self.offset) % self.modulus


_EIGHT_DIGITS = SerialPermutation(10**8, 48_271_007, 31_415_926)
_SIX_DIGITS = SerialPermutation(10**6, 7_919, 271_828)
_NINE_DIGITS = SerialPermutation(10**9, 1_000_003, 141_421_356)
_TEN_DIGITS = SerialPermutation(10**10, 2_147_483_647, 1_732_050_807)

# --- NPI -----------------------------------------------------------------------------
# The National Provider Identifier is 10 digits; the last is a Luhn check digit computed
# over the 9-digit body prefixed with the ISO card-issuer prefix "80840" (CMS, NPI
# check-digit specification). Individual providers' NPIs start with 1.

NPI_PATTERN = re.compile(r"^[12]\d{9}$")


def npi_check_digit(body: str) -> str:
    """The Luhn check digit of a 9-digit NPI body (over the 80840 prefix)."""
    return luhn.calc_check_digit("80840" + body)


def npi(serial: int) -> str:
    """The NPI of the ``serial``-th provider: 1 + eight scrambled digits + check digit."""
    body = f"1{_EIGHT_DIGITS(serial):08d}"
    return body + npi_check_digit(body)


def is_valid_npi(value: object) -> bool:
    """True for a 10-digit string whose check digit is right."""
    if not isinstance(value, str) or not NPI_PATTERN.match(value):
        return False
    return npi_check_digit(value[:9]) == value[9]


# --- SSN -----------------------------------------------------------------------------
# AAA-GG-SSSS: area 001-899 except 666, group 01-99, serial 0001-9999 (SSA rules; areas
# 900-999 are ITINs). python-stdnum's us.ssn validator also knows the few numbers that
# were published (078-05-1120, ...); generated values are checked against it.

SSN_PATTERN = re.compile(r"^\d{3}-\d{2}-\d{4}$")
_AREAS = [a for a in range(1, 900) if a != 666]
_SSN_SPACE = len(_AREAS) * 99 * 9999
_SSN_PERMUTATION = SerialPermutation(_SSN_SPACE, 2_654_435_761 % _SSN_SPACE, 123_456_789)


# Numbers that are well-formed but were published (advertising, Woolworth's wallet card);
# python-stdnum's validator rejects them, so the generator must never produce them.
_PUBLISHED_SSNS = frozenset({"078-05-1120", "457-55-5462", "219-09-9999"})


def ssn(serial: int) -> str:
    """The SSN of the ``serial``-th person, never in a forbidden range.

    The index space covers only valid areas, groups and serials, so the value is valid
    by construction; only the few published numbers need a lookup (checked by tests
    against python-stdnum for a large range).
    """
    index = _SSN_PERMUTATION(serial)
    while True:
        area_index, rest = divmod(index, 99 * 9999)
        group, number = divmod(rest, 9999)
        value = f"{_AREAS[area_index]:03d}-{group + 1:02d}-{number + 1:04d}"
        if value not in _PUBLISHED_SSNS:
            return value
        index = (index + 1) % _SSN_SPACE  # skip one of the published numbers


def is_valid_ssn(value: object) -> bool:
    """True for AAA-GG-SSSS outside the forbidden ranges (000, 666, 900-999, 00, 0000)."""
    return isinstance(value, str) and bool(SSN_PATTERN.match(value)) and stdnum_ssn.is_valid(value)


# --- License numbers -------------------------------------------------------------------


def license_number(serial: int, state: str) -> str:
    """A medical license number in ``state``'s style (see reference/licenses.toml)."""
    fmt: LicenseFormat = license_format(state)
    return fmt.template.format(state=state, n=f"{_SIX_DIGITS(serial):06d}")


def is_valid_license_number(value: object, state: str | None = None) -> bool:
    """True when ``value`` matches ``state``'s format (or any known format if no state)."""
    if not isinstance(value, str):
        return False
    if state is not None:
        return bool(license_format(state).pattern.match(value))

    return any(f.pattern.match(value) for f in LICENSE_FORMATS.values())


# --- Patient, policy and claim numbers ----------------------------------------------------

PATIENT_ID_PATTERN = re.compile(r"^PAT-\d{8}$")
CLAIM_NUMBER_PATTERN = re.compile(r"^CLM-\d{10}$")


def patient_id(serial: int) -> str:
    """``PAT-`` + 8 digits, unique per serial."""
    return f"PAT-{_EIGHT_DIGITS(serial):08d}"


def policy_number(serial: int, payer: Payer) -> str:
    """``PREFIX-`` + 9 digits, the prefix naming the payer (e.g. MEDICARE-789456123)."""
    return f"{payer.policy_prefix}-{_NINE_DIGITS(serial):09d}"


def claim_number(serial: int) -> str:
    """``CLM-`` + 10 digits, unique per serial."""
    return f"CLM-{_TEN_DIGITS(serial):010d}"


# The British spelling of earlier releases, kept so callers written before the rename work.
licence_number = license_number
is_valid_licence_number = is_valid_license_number
