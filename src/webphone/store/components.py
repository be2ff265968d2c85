"""Saved components: phones configured in the admin, found by their slug (`Database.components`).

A component holds the seed's Config fields, the SIP account it dials with (which never leaves
the server) and its dial policy. Every change is validated field by field (`component_fields`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from .component_fields import DEFAULTS, validate_fields, validate_id
from .engine import Sessions, rowcount
from .errors import ExistsError, NotFoundError
from .models import Component, utcnow

__all__ = ["PUBLIC_FIELDS", "Components", "public_fields"]

#: What a page may learn about a component: how it looks, never how it dials.
PUBLIC_FIELDS = (
    "id",
    "width",
    "show_dialpad",
    "show_dialled_number",
    "show_answer",
    "show_hangup",
    "show_hold",
    "show_mute",
    "show_dial",
    "show_status",
    "auto_register",
    "hidden",
)


def public_fields(component: Component) -> dict[str, object]:
    """The component's look, for the page; no servers, account, password or policy."""
    return {name: getattr(component, name) for name in PUBLIC_FIELDS}


class Components:
    """Create, read, update and delete saved components."""

    def __init__(self, sessions: Sessions) -> None:
        self._db = sessions

    def create(
        self,
        component_id: str,
        fields: Mapping[str, object] | None = None,
        *,
        now: datetime | None = None,
    ) -> Component:
        """A new component: the defaults, then `fields`; ExistsError when the id is taken."""
        validate_id(component_id)
        values = DEFAULTS | validate_fields(fields or {})
        now = now or utcnow()
        component = Component(id=component_id, created_at=now, updated_at=now, **values)
        try:
            with self._db.write() as session:
                if session.get(Component, component_id) is not None:
                    raise ExistsError(f"component {component_id!r} already exists")
                session.add(component)
        except IntegrityError:  # created by another process since the check
            raise ExistsError(f"component {component_id!r} already exists") from None
        return component

    def get(self, component_id: str) -> Component | None:
        with self._db.read() as session:
            return session.get(Component, component_id)

    def list(self) -> list[Component]:
        """Every component, by id."""
        with self._db.read() as session:
            return list(session.scalars(select(Component).order_by(Component.id)))

    def update(
        self,
        component_id: str,
        fields: Mapping[str, object],
        *,
        now: datetime | None = None,
    ) -> Component:
        """Change the given fields only; NotFoundError when there is no such component."""
        values = validate_fields(fields)
        with self._db.write() as session:
            component = session.get(Component, component_id)
            if component is None:
                raise NotFoundError(f"no component {component_id!r}")
            for name, value in values.items():
                setattr(component, name, value)
            component.updated_at = now or utcnow()
        return component

    def delete(self, component_id: str) -> None:
        """Remove it; its calls' records stay, with no component (ON DELETE SET NULL)."""
        with self._db.write() as session:
            result = session.execute(delete(Component).where(Component.id == component_id))
            if rowcount(result) == 0:
                raise NotFoundError(f"no component {component_id!r}")
