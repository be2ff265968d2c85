"""The tables, as typed declarative models: SIP users, admin users, components and CDRs.

The migrations in `migrations/versions/` create these same tables; a test checks that Alembic
finds no difference between the two, so a change here needs a new migration.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: Deterministic constraint names, the same on SQLite and PostgreSQL, so that a migration can
#: name what it alters.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MAX_PASSWORD_LENGTH = 256
CALL_STATES = ("active", "ended", "cut_off")
DIRECTIONS = ("outgoing", "incoming")

# SQLite has no 64-bit autoincrement type other than INTEGER PRIMARY KEY (the rowid).
_BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """A moment in UTC: `timestamptz` on PostgreSQL, naive UTC text on SQLite; aware in Python.

    SQLite keeps no time zone, so values are converted to UTC on the way in and given UTC back
    on the way out. A naive datetime is refused: it is a bug that would shift times silently.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give it a time zone (UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class SipUser(Base):
    """A SIP account of the embedded server (the table `UserStore` made before migrations)."""

    __tablename__ = "sip_users"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    password: Mapped[str] = mapped_column(String(MAX_PASSWORD_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    def __repr__(self) -> str:
        return f"SipUser(name={self.name!r}, created_at={self.created_at!r})"  # no password


class AdminUser(Base):
    """Someone who may use the admin pages; the password is an argon2 hash."""

    __tablename__ = "admin_users"

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    #: Failed logins since the last good one; reaching the limit sets `locked_until`.
    failed_logins: Mapped[int] = mapped_column(Integer(), default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())

    def __repr__(self) -> str:
        return f"AdminUser(name={self.name!r}, failed_logins={self.failed_logins})"


class Component(Base):
    """A phone saved in the admin: the seed's Config fields, its secrets and its dial policy.

    `Components.create` fills in the defaults (`component_fields.DEFAULTS`).
    """

    __tablename__ = "components"

    #: A short URL-safe slug chosen by the user (`<web-phone component="sales">`).
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    width: Mapped[int] = mapped_column(Integer())
    show_dialpad: Mapped[bool] = mapped_column(Boolean())
    show_dialled_number: Mapped[bool] = mapped_column(Boolean())
    show_answer: Mapped[bool] = mapped_column(Boolean())
    show_hangup: Mapped[bool] = mapped_column(Boolean())
    show_hold: Mapped[bool] = mapped_column(Boolean())
    show_mute: Mapped[bool] = mapped_column(Boolean())
    show_dial: Mapped[bool] = mapped_column(Boolean())
    show_status: Mapped[bool] = mapped_column(Boolean())
    auto_register: Mapped[bool] = mapped_column(Boolean())
    #: Comma-separated failover list of wss:// URLs; empty: the server's default.
    sip_servers: Mapped[str] = mapped_column(Text())
    realm: Mapped[str | None] = mapped_column(String(253))
    display_name: Mapped[str | None] = mapped_column(String(128))
    cli: Mapped[str | None] = mapped_column(String(64))
    username: Mapped[str | None] = mapped_column(String(64))
    #: The SIP password; it never leaves the server (see `components.public_fields`).
    password: Mapped[str | None] = mapped_column(String(MAX_PASSWORD_LENGTH))
    hidden: Mapped[bool] = mapped_column(Boolean())
    #: Origins (`https://shop.example.com`) whose pages may use it, one per line; `*`: any
    #: (what empty means is the gateway's policy).
    allowed_origins: Mapped[str] = mapped_column(Text())
    #: Destination patterns (`+4420*`, `sales`) it may call, one per line; empty: no limit
    #: (`component_fields.destination_allowed`).
    allowed_destinations: Mapped[str] = mapped_column(Text())
    max_concurrent_calls: Mapped[int | None] = mapped_column(Integer())
    calls_per_hour_per_visitor: Mapped[int | None] = mapped_column(Integer())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    def __repr__(self) -> str:
        return f"Component(id={self.id!r})"  # username and password stay out of logs


class CdrRow(Base):
    """One call: the fields of docs/cdr.md, who made it, and whether it is still going on."""

    __tablename__ = "cdrs"
    __table_args__ = (
        CheckConstraint(f"direction IN {DIRECTIONS!r}", name="direction"),
        CheckConstraint(f"state IN {CALL_STATES!r}", name="state"),
    )

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True, autoincrement=True)
    # Not unique: a call between two browsers of this server has one Call-ID and two rows
    # (outgoing and incoming), and a forked INVITE rings several sessions with one Call-ID.
    call_id: Mapped[str] = mapped_column(String(255), index=True)
    direction: Mapped[str] = mapped_column(String(8), index=True)
    from_uri: Mapped[str | None] = mapped_column(String(1024))
    from_name: Mapped[str | None] = mapped_column(String(255))
    to_uri: Mapped[str | None] = mapped_column(String(1024))
    to_name: Mapped[str | None] = mapped_column(String(255))
    cli: Mapped[str | None] = mapped_column(String(255))
    server: Mapped[str | None] = mapped_column(String(1024))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    ringing_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ring_seconds: Mapped[float | None] = mapped_column(Float())
    talk_seconds: Mapped[float | None] = mapped_column(Float())
    ended_by: Mapped[str | None] = mapped_column(String(8))
    sip_status: Mapped[int | None] = mapped_column(Integer(), index=True)
    reason: Mapped[str | None] = mapped_column(String(1024))
    codec: Mapped[str | None] = mapped_column(String(64))
    packets_sent: Mapped[int | None] = mapped_column(BigInteger())
    packets_received: Mapped[int | None] = mapped_column(BigInteger())
    bytes_sent: Mapped[int | None] = mapped_column(BigInteger())
    bytes_received: Mapped[int | None] = mapped_column(BigInteger())
    packets_lost: Mapped[int | None] = mapped_column(BigInteger())
    jitter_ms: Mapped[float | None] = mapped_column(Float())
    rtt_ms: Mapped[float | None] = mapped_column(Float())
    mos: Mapped[float | None] = mapped_column(Float())
    # A deleted component keeps its calls' history, unattributed.
    component_id: Mapped[str | None] = mapped_column(
        ForeignKey("components.id", ondelete="SET NULL"), index=True
    )
    #: The SIP user name the call was made with (the admin filters by it).
    user_name: Mapped[str | None] = mapped_column(String(64), index=True)
    #: The gateway session that carried the call.
    session_name: Mapped[str | None] = mapped_column(String(64))
    #: The server process that wrote the row; a restarted server cuts off only its own calls.
    node: Mapped[str | None] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(8), index=True)

    def __repr__(self) -> str:
        return f"CdrRow(id={self.id}, call_id={self.call_id!r}, state={self.state!r})"


def column_names(model: type[Base]) -> list[str]:
    """The columns of a model's table, in table order."""
    table: Any = model.__table__
    return [c.name for c in table.columns]
