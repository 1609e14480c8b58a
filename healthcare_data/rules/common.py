"""Rules shared by several tables: identifiers, names, status, contact safety.

Contact safety (fictional phones, reserved e-mail domains, issuable SSNs) is written
once here; the row validators and the whole-database compliance check both run it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from healthcare_data import fakes
from healthcare_data.columns import APPOINTMENT_STATUSES, CLAIM_STATUSES, PATIENT_STATUSES, PROVIDER_STATUSES
from healthcare_data.rulebook import Finding, Subject, field_rule, rule
from healthcare_data.violations import FORMAT, HIPAA

PERSON_TABLES = ("patients", "providers")
# Version-4 RFC 4122 UUID in lower case, as Randomness.uuid4 and fast_uuid4 write it.
UUID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
# Any North American number as the library writes it: "(AAA) NXX-XXXX", "AAA-NXX-XXXX" or "NXX-XXXX".
PHONE_FORMAT = re.compile(r"^(?:\(\d{3}\) |\d{3}-)?\d{3}-\d{4}$")
# SSNs the SSA can issue: area not 000, 666 or 9xx; group not 00; serial not 0000.
ISSUABLE_SSN = re.compile(r"^(?!000|666|9)\d{3}-(?!00)\d{2}-(?!0000)\d{4}$")

# Contact columns per table: phones, e-mails.
PHONE_FIELDS: dict[str, tuple[str, ...]] = {
    "patients": ("phone", "emergency_contact_phone"),
    "providers": ("phone",),
}
EMAIL_FIELDS: dict[str, tuple[str, ...]] = {"patients": ("email",), "providers": ("email",)}
# Valid statuses per table; a provider row may leave it empty.
STATUSES: dict[str, tuple[str, ...]] = {
    "patients": PATIENT_STATUSES,
    "providers": PROVIDER_STATUSES,
    "appointments": APPOINTMENT_STATUSES,
    "insurance_claims": CLAIM_STATUSES,
}
_STATUS_OPTIONAL = frozenset({"providers"})

field_rule(
    "uuid_format",
    PERSON_TABLES,
    FORMAT,
    ("uuid",),
    lambda v: isinstance(v, str) and bool(UUID_PATTERN.match(v)),
    "uuid {value!r} is not a lower-case version-4 UUID",
    "draw a new uuid with rng.uuid4()",
    "uuid is a lower-case version-4 UUID",
    optional=False,
)
field_rule(
    "required",
    PERSON_TABLES,
    FORMAT,
    ("first_name", "last_name"),
    lambda v: isinstance(v, str) and bool(v.strip()),
    "{field} {value!r} must be a non-empty name",
    "give a {field} or let the generator draw one",
    "first and last name are non-empty",
    optional=False,
)


@rule(
    "status_valid",
    tuple(STATUSES),
    FORMAT,
    ("status",),
    "status {value!r} is not one of {allowed}",
    "use one of {allowed}",
)
def _status(subject: Subject) -> Iterable[Finding]:
    """status is one of the table's statuses"""
    value = subject.get("status")
    allowed = STATUSES[subject.entity]
    if value is None and subject.entity in _STATUS_OPTIONAL:
        return
    if value not in allowed:
        yield Finding("status", {"value": value, "allowed": ", ".join(allowed)})


field_rule(
    "phone_format", PERSON_TABLES, FORMAT, ("phone", "emergency_contact_phone"),
    lambda v: isinstance(v, str) and bool(PHONE_FORMAT.match(v)),
    "{field} {value!r} is not '(AAA) 555-01NN'", "write it as '(AAA) 555-01NN' or let the generator draw one",
    "phones are written '(AAA) NXX-XXXX'", columns=PHONE_FIELDS,
)
field_rule(
    "phone_safe_range", PERSON_TABLES, HIPAA, ("phone", "emergency_contact_phone"), fakes.is_safe_phone,
    "{field} {value!r} is outside the fictional 555-0100..0199 range and could reach a real person",
    "use a 555-01NN number (fakes.phone)",
    "phones are in the fictional 555-0100..0199 range (never a real person's)", columns=PHONE_FIELDS,
)
field_rule(
    "email_format", PERSON_TABLES, FORMAT, ("email",),
    lambda v: isinstance(v, str) and bool(fakes.EMAIL_PATTERN.match(v)),
    "email {value!r} is not a well-formed address", "use local@domain in lower case",
    "e-mail is a well-formed lower-case address", columns=EMAIL_FIELDS,
)


def email_domain_is_reserved(value: str) -> bool:
    """True when the domain after '@' is reserved (example.com/.org/.net, .test, .invalid, .example)."""
    domain = value.rsplit("@", 1)[-1].strip().lower()
    return domain in fakes.SAFE_EMAIL_DOMAINS or domain.endswith(fakes.SAFE_EMAIL_SUFFIXES)


field_rule(
    "email_safe_domain", PERSON_TABLES, HIPAA, ("email",),
    lambda v: not (isinstance(v, str) and "@" in v) or email_domain_is_reserved(v),
    "{field} {value!r} is not on a reserved domain and could reach a real person",
    "use one of " + ", ".join(fakes.SAFE_EMAIL_DOMAINS) + " or a .test/.invalid domain",
    "e-mail is on a reserved domain (example.com/.org/.net, .test, .invalid)", columns=EMAIL_FIELDS,
)


field_rule(
    "ssn_valid_range",
    "patients",
    HIPAA,
    ("ssn",),
    lambda v: isinstance(v, str) and bool(ISSUABLE_SSN.match(v)),
    "ssn {value!r} is outside the issuable ranges (area 000, 666, 900-999, group 00 and serial 0000 "
    "are never issued)",
    "regenerate it from the row's serial (identifiers.ssn)",
    "SSN inside the ranges the SSA issues",
)

# The HIPAA rules every stored person is checked against, whatever else is validated.
CONTACT_SAFETY_RULES: tuple[str, ...] = ("phone_safe_range", "email_safe_domain", "ssn_valid_range")
