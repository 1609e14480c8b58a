"""Schemas written for the any-schema tests, as SQLAlchemy metadata (one per scenario).

Each builder returns a fresh MetaData so a test can create it on SQLite, PostgreSQL
or MariaDB. Constraints are named, so cycles can be created (and dropped) with ALTER.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)


def hierarchy() -> MetaData:
    """Self-references (managers, threaded comments, NOT NULL category parents); department <-> head."""
    m = MetaData()
    Table(
        "departments",
        m,
        Column("id", Integer, primary_key=True),
        Column("name", String(80), nullable=False, unique=True),
        Column("head_id", Integer, ForeignKey("employees.id", name="fk_department_head", use_alter=True)),
    )
    Table(
        "employees",
        m,
        Column("id", Integer, primary_key=True),
        Column("first_name", String(50), nullable=False),
        Column("last_name", String(50), nullable=False),
        Column("email", String(120), nullable=False, unique=True),
        Column("phone", String(20)),
        Column("hired_on", Date, nullable=False),
        Column("salary", Numeric(10, 2)),
        Column("manager_id", Integer, ForeignKey("employees.id", name="fk_employee_manager")),
        Column(
            "department_id",
            Integer,
            ForeignKey("departments.id", name="fk_employee_department"),
            nullable=False,
        ),
        CheckConstraint("salary > 0", name="ck_salary_positive"),
    )
    Table(
        "comments",
        m,
        Column("id", Integer, primary_key=True),
        Column("parent_id", Integer, ForeignKey("comments.id", name="fk_comment_parent")),
        Column("author_id", Integer, ForeignKey("employees.id", name="fk_comment_author"), nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", DateTime, nullable=False),
    )
    Table(
        "categories",
        m,
        Column("id", Integer, primary_key=True),
        Column("name", String(40), nullable=False),
        Column("parent_id", Integer, ForeignKey("categories.id", name="fk_category_parent"), nullable=False),
    )
    return m


def library() -> MetaData:
    """author <-> book: books need an author, an author's favourite book is optional."""
    m = MetaData()
    Table(
        "authors",
        m,
        Column("id", Integer, primary_key=True),
        Column("first_name", String(50), nullable=False),
        Column("last_name", String(50), nullable=False),
        Column("email", String(100), unique=True),
        Column(
            "favorite_book_id", Integer, ForeignKey("books.id", name="fk_author_favorite", use_alter=True)
        ),
    )
    Table(
        "books",
        m,
        Column("id", Integer, primary_key=True),
        Column("isbn", String(17), nullable=False, unique=True),
        Column("title", String(200), nullable=False),
        Column("author_id", Integer, ForeignKey("authors.id", name="fk_book_author"), nullable=False),
        Column("price", Numeric(8, 2), nullable=False),
        Column("published_on", Date),
        CheckConstraint("price > 0 AND price <= 500", name="ck_book_price"),
    )
    return m


def keys_and_checks() -> MetaData:
    """Text and composite primary keys, a composite FK, CHECK IN/range/cross-column, a 1:1 FK."""
    m = MetaData()
    Table(
        "countries",
        m,
        Column("code", String(2), primary_key=True),
        Column("name", String(60), nullable=False),
    )
    Table(
        "regions",
        m,
        Column(
            "country_code", String(2), ForeignKey("countries.code", name="fk_region_country"), nullable=False
        ),
        Column("region_code", String(6), nullable=False),
        Column("name", String(60), nullable=False),
        PrimaryKeyConstraint("country_code", "region_code", name="pk_regions"),
    )
    Table(
        "stores",
        m,
        Column("id", Integer, primary_key=True),
        Column("code", String(12), nullable=False, unique=True),
        Column("country_code", String(2), nullable=False),
        Column("region_code", String(6), nullable=False),
        Column("status", String(10), nullable=False),
        Column("rating", Integer, nullable=False),
        Column("opened_on", Date, nullable=False),
        Column("closed_on", Date),
        Column("street", String(100)),
        Column("city", String(60)),
        Column("state", String(2)),
        Column("zip", String(10)),
        ForeignKeyConstraint(
            ["country_code", "region_code"],
            ["regions.country_code", "regions.region_code"],
            name="fk_store_region",
        ),
        CheckConstraint("status IN ('open', 'closed', 'planned')", name="ck_store_status"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="ck_store_rating"),
        CheckConstraint("closed_on >= opened_on", name="ck_store_dates"),
    )
    Table(
        "store_managers",
        m,
        Column("store_id", Integer, ForeignKey("stores.id", name="fk_manager_store"), primary_key=True),
        Column("npi", String(10), nullable=False, unique=True),
        Column("ssn", String(11), unique=True),
        Column("first_name", String(50), nullable=False),
        Column("last_name", String(50), nullable=False),
        Column("email", String(120), nullable=False),
        Column("mobile_phone", String(20)),
    )
    Table(
        "visits",
        m,
        Column("id", Integer, primary_key=True),
        Column("store_id", Integer, ForeignKey("stores.id", name="fk_visit_store"), nullable=False),
        Column("diagnosis_code", String(8), nullable=False),
        Column("amount", Numeric(10, 2), nullable=False),
        Column("paid", Boolean, nullable=False),
        Column("mood", String(30)),
        CheckConstraint("amount >= 0", name="ck_visit_amount"),
    )
    return m


def saas() -> MetaData:
    """The document's multi-tenant SaaS example: tenants, users, projects, tasks."""
    m = MetaData()
    Table(
        "tenants",
        m,
        Column("id", Integer, primary_key=True),
        Column("name", String(100), nullable=False, unique=True),
        Column("plan", String(20), nullable=False),
        Column("created_at", DateTime, nullable=False),
        CheckConstraint("plan IN ('free', 'pro', 'enterprise')", name="ck_tenant_plan"),
    )
    Table(
        "users",
        m,
        Column("id", Integer, primary_key=True),
        Column("tenant_id", Integer, ForeignKey("tenants.id", name="fk_user_tenant"), nullable=False),
        Column("email", String(150), nullable=False, unique=True),
        Column("username", String(40), nullable=False, unique=True),
        Column("role", String(20), nullable=False),
        Column("is_active", Boolean, nullable=False),
        CheckConstraint("role IN ('owner', 'admin', 'member', 'viewer')", name="ck_user_role"),
    )
    Table(
        "projects",
        m,
        Column("id", Integer, primary_key=True),
        Column("tenant_id", Integer, ForeignKey("tenants.id", name="fk_project_tenant"), nullable=False),
        Column("owner_id", Integer, ForeignKey("users.id", name="fk_project_owner"), nullable=False),
        Column("name", String(100), nullable=False),
        Column("budget", Numeric(12, 2)),
    )
    Table(
        "memberships",
        m,
        Column("user_id", Integer, ForeignKey("users.id", name="fk_member_user"), nullable=False),
        Column("project_id", Integer, ForeignKey("projects.id", name="fk_member_project"), nullable=False),
        Column("joined_at", DateTime, nullable=False),
        PrimaryKeyConstraint("user_id", "project_id", name="pk_memberships"),
    )
    Table(
        "tasks",
        m,
        Column("id", Integer, primary_key=True),
        Column("project_id", Integer, ForeignKey("projects.id", name="fk_task_project"), nullable=False),
        Column("assignee_id", Integer, ForeignKey("users.id", name="fk_task_assignee")),
        Column("title", String(200), nullable=False),
        Column("status", String(20), nullable=False),
        Column("start_date", Date, nullable=False),
        Column("end_date", Date, nullable=False),
        CheckConstraint("status IN ('todo', 'doing', 'done')", name="ck_task_status"),
        CheckConstraint("end_date >= start_date", name="ck_task_dates"),
    )
    return m


def time_series() -> MetaData:
    """The document's time-series example: sensors and their readings, keyed by (sensor, time)."""
    m = MetaData()
    Table(
        "sensors",
        m,
        Column("id", Integer, primary_key=True),
        Column("serial_number", String(16), nullable=False, unique=True),
        Column("kind", String(20), nullable=False),
        Column("installed_at", DateTime, nullable=False),
        CheckConstraint("kind IN ('temperature', 'humidity', 'pressure')", name="ck_sensor_kind"),
    )
    Table(
        "readings",
        m,
        Column("sensor_id", Integer, ForeignKey("sensors.id", name="fk_reading_sensor"), nullable=False),
        Column("recorded_at", DateTime, nullable=False),
        Column("value", Float, nullable=False),
        Column("quality", Integer, nullable=False),
        PrimaryKeyConstraint("sensor_id", "recorded_at", name="pk_readings"),
        CheckConstraint("value BETWEEN -50 AND 150", name="ck_reading_value"),
        CheckConstraint("quality >= 0 AND quality <= 100", name="ck_reading_quality"),
    )
    return m


def geospatial() -> MetaData:
    """The document's geospatial example: places with coordinates, routes between them."""
    m = MetaData()
    Table(
        "places",
        m,
        Column("id", Integer, primary_key=True),
        Column("name", String(100), nullable=False),
        Column("latitude", Numeric(9, 6), nullable=False),
        Column("longitude", Numeric(9, 6), nullable=False),
        Column("city", String(60), nullable=False),
        Column("state", String(2), nullable=False),
        Column("zip_code", String(10), nullable=False),
        CheckConstraint("latitude BETWEEN -90 AND 90", name="ck_place_lat"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="ck_place_lon"),
    )
    Table(
        "routes",
        m,
        Column("id", Integer, primary_key=True),
        Column("origin_id", Integer, ForeignKey("places.id", name="fk_route_origin"), nullable=False),
        Column(
            "destination_id", Integer, ForeignKey("places.id", name="fk_route_destination"), nullable=False
        ),
        Column("distance_km", Float, nullable=False),
        CheckConstraint("distance_km >= 0", name="ck_route_distance"),
    )
    return m


def unbreakable() -> MetaData:
    """A cycle of NOT NULL, non-deferrable keys: no insert order exists."""
    m = MetaData()
    Table(
        "eggs",
        m,
        Column("id", Integer, primary_key=True),
        Column(
            "chicken_id",
            Integer,
            ForeignKey("chickens.id", name="fk_egg_chicken", use_alter=True),
            nullable=False,
        ),
    )
    Table(
        "chickens",
        m,
        Column("id", Integer, primary_key=True),
        Column("egg_id", Integer, ForeignKey("eggs.id", name="fk_chicken_egg"), nullable=False),
    )
    return m


def deferrable(supported: bool = True) -> MetaData:
    """A NOT NULL cycle made valid by a DEFERRABLE constraint (PostgreSQL; MariaDB cannot declare one)."""
    m = MetaData()
    Table(
        "teams",
        m,
        Column("id", Integer, primary_key=True),
        Column("name", String(60), nullable=False),
        Column(
            "captain_id",
            Integer,
            ForeignKey(
                "players.id",
                name="fk_team_captain",
                use_alter=True,
                deferrable=True if supported else None,
                initially="DEFERRED" if supported else None,
            ),
            nullable=False,
        ),
    )
    Table(
        "players",
        m,
        Column("id", Integer, primary_key=True),
        Column("first_name", String(50), nullable=False),
        Column("team_id", Integer, ForeignKey("teams.id", name="fk_player_team"), nullable=False),
    )
    return m


SCHEMAS: dict[str, Callable[[], MetaData]] = {
    "hierarchy": hierarchy,
    "library": library,
    "keys_and_checks": keys_and_checks,
    "saas": saas,
    "time_series": time_series,
    "geospatial": geospatial,
}
