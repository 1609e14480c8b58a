"""Workflow files for integration tests: one YAML file per journey, an index, a README
with a state diagram per workflow, and the summary report of the spec's integration task.

Layout written under the output directory::

    README.md               what each workflow tests, its steps, a mermaid state diagram
    index.yaml              cross-reference: workflows, files, scenario and record counts
    summary.txt             the summary report (workflows, scenarios, records, validations)
    workflows/<name>.yaml   one workflow: its scenarios (entities in order, steps with
                            timestamps and states) and ``tables`` (the rows, typed)
    workflows/_shared.yaml  patients (with conditions, profiles) and providers

Every file under ``workflows/`` is a document :func:`healthcare_data.export.load_dataset`
reads (its ``tables`` section), so ``load_dataset(out / "workflows")`` gives the whole
dataset back with dates, datetimes and amounts restored, ready to re-validate
(:func:`revalidate`). Nothing is left behind on failure: files are written to a
temporary sibling directory that replaces the output only when complete.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from healthcare_data.errors import ConfigurationError
from healthcare_data.export import load_dataset
from healthcare_data.export.codec import FORMAT_TAG, columns_of, encode_row
from healthcare_data.journeys.definitions import END, Definitions, Journey, default_definitions
from healthcare_data.journeys.engine import JOURNEY_TABLES
from healthcare_data.journeys.generate import RECORD_TABLES
from healthcare_data.journeys.rules import check_tables
from healthcare_data.rules.groups import JOURNEY_SUMMARY_RULES
from healthcare_data.schema import Base
from healthcare_data.validation.report import Violation

Tables = Mapping[str, list[dict[str, Any]]]
SHARED_TABLES = ("patients", "patient_conditions", "patient_profiles", "providers")
SHARED_FILE = "_shared.yaml"
#: The summary's validation lines and the journey rules behind each (rules.groups).
CHECK_GROUPS = JOURNEY_SUMMARY_RULES


def file_name(journey: str) -> str:
    return journey.replace("_", "-") + ".yaml"


# --- grouping rows by journey ----------------------------------------------------------------


def _split(
    tables: Tables,
) -> tuple[dict[str, dict[str, list[dict[str, Any]]]], dict[str, list[dict[str, Any]]]]:
    """Rows per journey name (each row with the journey that created it) and shared rows."""
    journeys = {j["id"]: j for j in tables.get("care_journeys", [])}
    owner: dict[tuple[str, Any], str] = {}
    for s in tables.get("journey_steps", []):
        journey = journeys.get(s["journey_id"])
        if journey is not None:
            owner.setdefault((s["entity"], s["entity_id"]), journey["journey"])
    # rows a step does not name belong to the journey of the row they hang off
    for p in tables.get("prescriptions", []):
        if ("prescriptions", p["id"]) not in owner and ("medical_records", p["medical_record_id"]) in owner:
            owner[("prescriptions", p["id"])] = owner[("medical_records", p["medical_record_id"])]
    parents = {
        "dispensings": ("prescriptions", "prescription_id"),
        "insurance_claims": ("appointments", "appointment_id"),
        "ledger_entries": ("appointments", "appointment_id"),
    }
    out: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for name, rows in tables.items():
        if name in SHARED_TABLES:
            continue
        for row in rows:
            if name == "care_journeys":
                key = row["journey"]
            elif name == "journey_steps":
                key = journeys[row["journey_id"]]["journey"] if row["journey_id"] in journeys else None
            elif name in parents:
                parent, column = parents[name]
                key = owner.get((parent, row.get(column)))
            else:
                key = owner.get((name, row.get("id")))
            if key is not None:
                out[key][name].append(row)
    shared = {name: list(tables.get(name, [])) for name in SHARED_TABLES if tables.get(name)}
    return out, shared


def _scenarios(
    journey_rows: Mapping[str, list[dict[str, Any]]], patients: Mapping[Any, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each journey run as a scenario: steps (state, entity, time) and entities in order."""
    index = {name: {r["id"]: r for r in rows} for name, rows in journey_rows.items()}
    index.setdefault("patients", dict(patients))  # the registration journey steps on the patient
    children: dict[tuple[str, Any], list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for name, (parent, column) in {
        "dispensings": ("prescriptions", "prescription_id"),
        "insurance_claims": ("appointments", "appointment_id"),
        "ledger_entries": ("appointments", "appointment_id"),
        "prescriptions": ("medical_records", "medical_record_id"),
    }.items():
        for row in journey_rows.get(name, []):
            children[(parent, row[column])].append((name, row))
    steps_of: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for s in sorted(journey_rows.get("journey_steps", []), key=lambda s: (s["journey_id"], s["seq"])):
        steps_of[s["journey_id"]].append(s)
    scenarios = []
    for j in journey_rows.get("care_journeys", []):
        seen: set[tuple[str, Any]] = set()
        entities: list[dict[str, Any]] = []

        def add(
            name: str,
            row: dict[str, Any] | None,
            seen: set[tuple[str, Any]] = seen,
            entities: list[dict[str, Any]] = entities,
        ) -> None:
            if row is None or (name, row["id"]) in seen:
                return
            seen.add((name, row["id"]))
            entities.append({"type": name, **encode_row(row, row.keys())})
            for child_name, child in children.get((name, row["id"]), []):
                add(child_name, child)

        for s in steps_of.get(j["id"], []):
            add(s["entity"], index.get(s["entity"], {}).get(s["entity_id"]))
        patient = patients.get(j["patient_id"], {})
        scenarios.append(
            {
                "id": f"wf_{j['journey']}_{j['id']:05d}",
                "journey_id": j["id"],
                "patient": patient.get("patient_id", j["patient_id"]),
                "segment": j["segment"],
                "started_at": j["started_at"].isoformat()
                if isinstance(j["started_at"], datetime)
                else j["started_at"],
                "completed_at": j["ended_at"].isoformat()
                if isinstance(j["ended_at"], datetime)
                else j["ended_at"],
                "final_state": j["final_step"],
                "steps": [
                    {
                        "seq": s["seq"],
                        "state": s["step"],
                        "entity": s["entity"],
                        "id": s["entity_id"],
                        "status": s["status"],
                        "at": s["occurred_at"].isoformat()
                        if isinstance(s["occurred_at"], datetime)
                        else s["occurred_at"],
                    }
                    for s in steps_of.get(j["id"], [])
                ],
                "entities_created": entities,
            }
        )
    return scenarios


def _tables_section(rows: Mapping[str, list[dict[str, Any]]]) -> dict[str, Any]:
    order = [t.name for t in Base.metadata.sorted_tables]
    section = {}
    for name in sorted(rows, key=lambda n: order.index(n) if n in order else len(order)):
        columns = columns_of(name, rows[name])
        section[name] = {"columns": columns, "rows": [encode_row(r, columns) for r in rows[name]]}
    return section


def state_diagram(journey: Journey) -> str:
    """A mermaid ``stateDiagram-v2`` of the journey (transitions with their weights)."""
    lines = ["stateDiagram-v2", f"    [*] --> {journey.start}"]
    for t in journey.transitions:
        target = "[*]" if t.target == END else t.target
        lines.append(f"    {t.source} --> {target}: {t.weight:g}")
    terminal = [s for s in journey.steps if not journey.outgoing(s)]
    lines.extend(f"    {s} --> [*]" for s in terminal)
    return "\n".join(lines)


# --- validation -----------------------------------------------------------------------------


def _references(tables: Tables) -> list[Violation]:
    """Every foreign key of every row resolves to a row of the dataset."""
    present = {name: {r.get("id") for r in rows} for name, rows in tables.items()}
    present["patient_profiles"] = {r.get("patient_id") for r in tables.get("patient_profiles", [])}
    found = []
    for name, rows in tables.items():
        table = Base.metadata.tables.get(name)
        if table is None:
            continue
        for fk in table.foreign_keys:
            target, column = fk.column.table.name, fk.parent.name
            keys = present.get(target, set())
            for row in rows:
                value = row.get(column)
                if value is not None and value not in keys:
                    found.append(
                        Violation(
                            name,
                            row.get("id"),
                            column,
                            "reference_resolves",
                            f"{column}={value!r} names no {target} row",
                            f"include the {target} row",
                            "integrity",
                        )
                    )
    return found


@dataclass
class WorkflowSummary:
    """What a workflows run wrote and how each validation went."""

    output: Path
    workflows: list[dict[str, Any]] = field(default_factory=list)
    shared_records: int = 0
    checks: dict[str, list[Violation]] = field(default_factory=dict)

    @property
    def scenarios(self) -> int:
        return sum(w["scenario_count"] for w in self.workflows)

    @property
    def files_written(self) -> dict[str, str]:
        """Journey -> workflow file, for the files present under ``output/workflows``."""
        folder = self.output / "workflows"
        return {w["journey"]: w["file"] for w in self.workflows if (folder / w["file"]).is_file()}

    @property
    def records(self) -> int:
        return self.shared_records + sum(w["records"] for w in self.workflows)

    @property
    def ok(self) -> bool:
        return not any(self.checks.values())

    def report(self) -> str:
        """The spec's summary report (9.2), with the file list and each validation."""
        head = (
            "✓ Integration Test Data Generated Successfully"
            if self.ok
            else "✗ Integration Test Data Generated With Validation Failures"
        )
        lines = [
            head,
            "",
            f"Workflows: {len(self.workflows)}",
            f"Scenarios: {self.scenarios}",
            f"Total Records: {self.records}",
            "",
            "Files Created:",
        ]
        for w in self.workflows:
            lines.append(f"- workflows/{w['file']} ({w['scenario_count']} scenarios, {w['records']} records)")
        lines += [
            f"- workflows/{SHARED_FILE} (patients and providers, {self.shared_records} records)",
            "- index.yaml (cross-reference)",
            "- README.md (documentation)",
            "",
            "Validation:",
        ]
        for name, violations in self.checks.items():
            verdict = "✓ PASSED" if not violations else f"✗ FAILED ({len(violations)} violations)"
            lines.append(f"- {name}: {verdict}")
        failed = [v for vs in self.checks.values() for v in vs][:10]
        if failed:
            lines += ["", "First violations (entity, key, rule: message -> recovery):"]
            lines += [f"- {v.entity} {v.key} {v.rule}: {v.message} -> {v.recovery}" for v in failed]
        return "\n".join(lines)


def validate_dataset(
    tables: Tables, today: date, definitions: Definitions | None = None
) -> dict[str, list[Violation]]:
    """The summary's validations (journey rules grouped, references) on a dataset."""
    violations = check_tables(tables, today, definitions)
    checks = {group: [v for v in violations if v.rule in rules] for group, rules in CHECK_GROUPS.items()}
    checks["Referential Integrity"] = _references(tables)
    grouped = {r for rules in CHECK_GROUPS.values() for r in rules}
    other = [v for v in violations if v.rule not in grouped]
    checks["Business Rules"] += other  # journey rules on no summary line land here
    return checks


def revalidate(
    output: str | Path, today: date, definitions: Definitions | None = None
) -> dict[str, list[Violation]]:
    """Load written workflow files back (the export loader) and validate them again."""
    return validate_dataset(load_dataset(Path(output) / "workflows"), today, definitions)


# --- writing --------------------------------------------------------------------------------


def _dump(path: Path, document: Any) -> None:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    path.write_text(
        yaml.dump(document, Dumper=dumper, sort_keys=False, allow_unicode=True, width=120), "utf-8"
    )


def _readme(summary: WorkflowSummary, definitions: Definitions) -> str:
    out = [
        "# Integration Test Datasets: patient journeys",
        "",
        f"Workflow-based healthcare datasets ({summary.records} records, {summary.scenarios} scenarios), "
        "written by `healthcare-data workflows`.",
        "",
        "## Contents",
        "",
        "- **workflows/**: one file per workflow, each scenario with its steps (state, entity, status, time) "
        "and the entities it created, in order; `tables` holds the same rows typed for loading",
    ]
    out += [f"  - {w['file']} ({w['scenario_count']} scenarios)" for w in summary.workflows]
    out += [
        f"  - {SHARED_FILE} (patients with conditions and profiles, providers)",
        "- **index.yaml**: cross-reference of workflows, files and counts",
        "- **summary.txt**: the generation summary and validation results",
        "",
        "## Usage",
        "",
        "```python",
        "import yaml",
        "from healthcare_data.export import load_dataset",
        "",
        "tables = load_dataset('workflows')            # every table, typed, in dependency order",
        "scenario = yaml.safe_load(open('workflows/acute-care.yaml'))['scenarios'][0]",
        "for entity in scenario['entities_created']:   # create them in this order in your system",
        "    print(entity['type'], entity['id'])",
        "```",
        "",
        "## Workflows and state diagrams",
    ]
    for w in summary.workflows:
        journey = definitions.journeys.get(w["journey"])
        out += ["", f"### {w['name']} ({w['scenario_count']} scenarios)", ""]
        if journey is None:
            out.append("(journey not in the definitions used)")
            continue
        out += [
            journey.description,
            "",
            f"**Entities involved:** {', '.join(w['entities'])}",
            "",
            "**Steps:** " + ", ".join(f"{s.name} ({s.action})" for s in journey.steps.values()),
            "",
            "```mermaid",
            state_diagram(journey),
            "```",
        ]
    out += ["", "## Summary", "", "```", summary.report(), "```", ""]
    return "\n".join(out)


def write_workflows(
    tables: Tables,
    output: str | Path,
    today: date,
    definitions: Definitions | None = None,
    source: str = "generation",
) -> WorkflowSummary:
    """Write the workflow files of ``tables`` (journey rows) under ``output``.

    ``output`` must not exist or be empty (ConfigurationError otherwise: nothing is
    overwritten). Returns the summary; its ``ok`` says whether every validation passed.
    """
    definitions = definitions or default_definitions()
    target = Path(output)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ConfigurationError(
            f"Output {str(target)!r} already exists and is not an empty directory; choose a new one"
        )
    if not tables.get("care_journeys"):
        raise ConfigurationError(
            "The dataset holds no patient journeys (care_journeys is empty)",
            ["seed journeys first (healthcare-data workflows --records N)"],
        )
    per_journey, shared = _split(tables)
    patients = {p["id"]: p for p in tables.get("patients", [])}
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        (staging / "workflows").mkdir()
        summary = WorkflowSummary(target)
        generated = datetime.now().replace(microsecond=0).isoformat()
        order = list(definitions.journeys) + sorted(n for n in per_journey if n not in definitions.journeys)
        for name in order:
            rows = per_journey.get(name)
            if not rows:
                continue
            journey = definitions.journeys.get(name)
            scenarios = _scenarios(rows, patients)
            records = sum(len(v) for k, v in rows.items() if k in RECORD_TABLES)
            entry: dict[str, Any] = {
                "name": journey.title if journey else name,
                "journey": name,
                "file": file_name(name),
                "scenario_count": len(scenarios),
                "records": records,
                "entities": journey.entities() if journey else sorted(rows),
            }
            _dump(
                staging / "workflows" / str(entry["file"]),
                {
                    "workflow": entry["name"],
                    "journey": name,
                    "description": journey.description if journey else "",
                    "scenario_count": len(scenarios),
                    "total_records": records,
                    "format": FORMAT_TAG,
                    "source": source,
                    "scenarios": scenarios,
                    "tables": _tables_section(rows),
                },
            )
            summary.workflows.append(entry)
        summary.shared_records = sum(len(v) for k, v in shared.items() if k in RECORD_TABLES)
        _dump(
            staging / "workflows" / SHARED_FILE,
            {"format": FORMAT_TAG, "source": source, "tables": _tables_section(shared)},
        )
        _dump(
            staging / "index.yaml",
            {
                "integration_test_data": {
                    "generated_at": generated,
                    "source": source,
                    "total_workflows": len(summary.workflows),
                    "total_scenarios": summary.scenarios,
                    "total_records": summary.records,
                    "shared_file": f"workflows/{SHARED_FILE}",
                    "workflows": [
                        {
                            k: w[k]
                            for k in ("name", "journey", "file", "scenario_count", "records", "entities")
                        }
                        for w in summary.workflows
                    ],
                }
            },
        )
        summary.checks = revalidate(staging, today, definitions)
        summary.checks["YAML Format"] = _yaml_format(staging, summary)
        (staging / "summary.txt").write_text(summary.report() + "\n", "utf-8")
        (staging / "README.md").write_text(_readme(summary, definitions), "utf-8")
        if target.exists():
            target.rmdir()
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return summary


def _yaml_format(root: Path, summary: WorkflowSummary) -> list[Violation]:
    """Each file parses as YAML and holds the scenarios the index says it does."""
    found = []
    for w in summary.workflows:
        path = root / "workflows" / w["file"]
        try:
            doc = yaml.load(path.read_text("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
        except yaml.YAMLError as exc:
            found.append(
                Violation(
                    "workflows",
                    w["file"],
                    "yaml",
                    "yaml_parses",
                    str(exc).splitlines()[0],
                    "rewrite the file",
                    "format",
                )
            )
            continue
        if len(doc.get("scenarios") or []) != w["scenario_count"]:
            found.append(
                Violation(
                    "workflows",
                    w["file"],
                    "scenarios",
                    "scenario_count_matches",
                    f"{len(doc.get('scenarios') or [])} scenarios, index says {w['scenario_count']}",
                    "regenerate",
                    "format",
                )
            )
    return found


def read_tables(db: Any) -> dict[str, list[dict[str, Any]]]:
    """The journey tables of a seeded database (rows of journeys and who they concern)."""
    from sqlalchemy import select

    with db.engine.connect() as conn:
        return {
            name: [dict(r) for r in conn.execute(select(Base.metadata.tables[name])).mappings()]
            for name in JOURNEY_TABLES
        }


__all__ = [
    "CHECK_GROUPS",
    "RECORD_TABLES",
    "WorkflowSummary",
    "read_tables",
    "revalidate",
    "state_diagram",
    "validate_dataset",
    "write_workflows",
]
