"""The first schema: sip_users, admin_users, components, cdrs.

A `webphone.db` made before migrations existed (by `UserStore`, with `create_all`) already
holds `sip_users` and no `alembic_version`; that table is adopted as it is, rows and all,
after checking that its columns are the ones expected. Every other table must be absent.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_LEGACY_SIP_USERS = {"name", "password", "created_at"}
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if inspector.has_table("sip_users"):
        found = {c["name"] for c in inspector.get_columns("sip_users")}
        if found != _LEGACY_SIP_USERS:
            raise RuntimeError(
                f"cannot adopt the existing sip_users table: its columns are {sorted(found)}, "
                f"expected {sorted(_LEGACY_SIP_USERS)}"
            )
    else:
        op.create_table(
            "sip_users",
            sa.Column("name", sa.String(64), nullable=False),
            sa.Column("password", sa.String(256), nullable=False),
            sa.Column("created_at", _utc(), nullable=False),
            sa.PrimaryKeyConstraint("name", name=op.f("pk_sip_users")),
        )

    op.create_table(
        "admin_users",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_users")),
        sa.UniqueConstraint("name", name=op.f("uq_admin_users_name")),
    )

    op.create_table(
        "components",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        *(
            sa.Column(f"show_{part}", sa.Boolean(), nullable=False)
            for part in (
                "dialpad",
                "dialled_number",
                "answer",
                "hangup",
                "hold",
                "mute",
                "dial",
                "status",
            )
        ),
        sa.Column("auto_register", sa.Boolean(), nullable=False),
        sa.Column("sip_servers", sa.Text(), nullable=False),
        sa.Column("realm", sa.String(253), nullable=True),
        sa.Column("display_name", sa.String(128), nullable=True),
        sa.Column("cli", sa.String(64), nullable=True),
        sa.Column("username", sa.String(64), nullable=True),
        sa.Column("password", sa.String(256), nullable=True),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("allowed_origins", sa.Text(), nullable=False),
        sa.Column("allowed_destinations", sa.Text(), nullable=False),
        sa.Column("max_concurrent_calls", sa.Integer(), nullable=True),
        sa.Column("calls_per_hour_per_visitor", sa.Integer(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_components")),
    )

    op.create_table(
        "cdrs",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(255), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("from_uri", sa.String(1024), nullable=True),
        sa.Column("from_name", sa.String(255), nullable=True),
        sa.Column("to_uri", sa.String(1024), nullable=True),
        sa.Column("to_name", sa.String(255), nullable=True),
        sa.Column("cli", sa.String(255), nullable=True),
        sa.Column("server", sa.String(1024), nullable=True),
        sa.Column("started_at", _utc(), nullable=False),
        sa.Column("ringing_at", _utc(), nullable=True),
        sa.Column("answered_at", _utc(), nullable=True),
        sa.Column("ended_at", _utc(), nullable=True),
        sa.Column("ring_seconds", sa.Float(), nullable=True),
        sa.Column("talk_seconds", sa.Float(), nullable=True),
        sa.Column("ended_by", sa.String(8), nullable=True),
        sa.Column("sip_status", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(1024), nullable=True),
        sa.Column("codec", sa.String(64), nullable=True),
        *(
            sa.Column(name, sa.BigInteger(), nullable=True)
            for name in (
                "packets_sent",
                "packets_received",
                "bytes_sent",
                "bytes_received",
                "packets_lost",
            )
        ),
        sa.Column("jitter_ms", sa.Float(), nullable=True),
        sa.Column("rtt_ms", sa.Float(), nullable=True),
        sa.Column("mos", sa.Float(), nullable=True),
        sa.Column("component_id", sa.String(64), nullable=True),
        sa.Column("user_name", sa.String(64), nullable=True),
        sa.Column("session_name", sa.String(64), nullable=True),
        sa.Column("node", sa.String(128), nullable=True),
        sa.Column("state", sa.String(8), nullable=False),
        sa.CheckConstraint("direction IN ('outgoing', 'incoming')", name=op.f("ck_cdrs_direction")),
        sa.CheckConstraint("state IN ('active', 'ended', 'cut_off')", name=op.f("ck_cdrs_state")),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["components.id"],
            name=op.f("fk_cdrs_component_id_components"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cdrs")),
    )
    # The admin filters and charts by these; `state` finds the calls a crash left open.
    for column in (
        "call_id",
        "direction",
        "started_at",
        "sip_status",
        "component_id",
        "user_name",
        "state",
    ):
        op.create_index(op.f(f"ix_cdrs_{column}"), "cdrs", [column])


def downgrade() -> None:
    # sip_users may predate this migration; dropping it would lose the users, so it stays.
    op.drop_table("cdrs")
    op.drop_table("components")
    op.drop_table("admin_users")
