"""API keys for the REST API (`/api`): made by `webphone api-key create`, kept hashed.

A key is 32 random bytes (`wp_` + 43 URL-safe characters), shown once when made. The store
keeps its SHA-256 only: a key has all the entropy a hash needs, so a slow password hash
(argon2) would only slow every API request down, and a leaked table gives no key back. The
first characters (`prefix`) are kept in clear so that `list` can tell keys apart.

    keys = ApiKeys(db)
    key, secret = keys.create("grafana")      # give `secret` to the program; it is not kept
    keys.verify(secret)                       # the ApiKey, or None (unknown or revoked)
    keys.revoke("grafana")
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from .engine import Sessions, rowcount
from .errors import ExistsError, NotFoundError, ValidationError
from .models import _BIG_ID, Base, UtcDateTime, utcnow

__all__ = ["KEY_PREFIX", "ApiKey", "ApiKeys", "hash_key"]

KEY_PREFIX = "wp_"
#: Characters of a key shown by `list` (the `wp_` and 8 more: enough to tell keys apart).
SHOWN = len(KEY_PREFIX) + 8
#: `last_used_at` is written at most this often per key: an API client polling every second
#: must not turn every read into a write.
TOUCH_EVERY = timedelta(minutes=1)
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class ApiKey(Base):
    """A key of the REST API; revoked keys stay listed (who had access, until when)."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True, autoincrement=True)
    #: Who or what uses it (`grafana`, `billing-export`); one active key per name.
    name: Mapped[str] = mapped_column(String(64), index=True)
    #: The key's first characters, shown in lists.
    prefix: Mapped[str] = mapped_column(String(16))
    #: SHA-256 of the whole key, hex.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def __repr__(self) -> str:
        return f"ApiKey(name={self.name!r}, prefix={self.prefix!r}, active={self.active})"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class ApiKeys:
    """Create, check, list and revoke API keys."""

    def __init__(self, sessions: Sessions) -> None:
        self._db = sessions

    def create(self, name: str, *, now: datetime | None = None) -> tuple[ApiKey, str]:
        """A new key named `name`: the stored row and the key itself (shown once)."""
        if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
            raise ValidationError(
                "name", name, "use 1 to 64 letters, digits, dots, hyphens and underscores"
            )
        secret = KEY_PREFIX + secrets.token_urlsafe(32)
        key = ApiKey(
            name=name,
            prefix=secret[:SHOWN],
            key_hash=hash_key(secret),
            created_at=now or utcnow(),
        )
        with self._db.write() as session:
            taken = session.scalar(
                select(ApiKey.id).where(ApiKey.name == name, ApiKey.revoked_at.is_(None))
            )
            if taken is not None:
                raise ExistsError(f"an API key named {name!r} exists; revoke it first")
            session.add(key)
        return key, secret

    def verify(self, secret: str, *, now: datetime | None = None) -> ApiKey | None:
        """The active key `secret` is, else None; notes when it was last used."""
        if not secret.startswith(KEY_PREFIX) or len(secret) > 128:
            return None
        digest = hash_key(secret)
        with self._db.read() as session:
            key = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
        # The lookup is by hash already; compare again in constant time all the same, so no
        # index or collation quirk can make a near miss count.
        if key is None or not key.active or not hmac.compare_digest(key.key_hash, digest):
            return None
        now = now or utcnow()
        if key.last_used_at is None or now - key.last_used_at >= TOUCH_EVERY:
            with self._db.write() as session:
                session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used_at=now))
            key.last_used_at = now
        return key

    def list(self) -> list[ApiKey]:
        """Every key, revoked ones too, oldest first."""
        with self._db.read() as session:
            return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))

    def revoke(self, name_or_prefix: str, *, now: datetime | None = None) -> int:
        """Revoke the active key with this name (or key prefix); how many (1).

        NotFoundError when no active key has that name or prefix."""
        if name_or_prefix.startswith(KEY_PREFIX):
            which = ApiKey.prefix == name_or_prefix[:SHOWN]
        else:
            which = ApiKey.name == name_or_prefix
        with self._db.write() as session:
            result = session.execute(
                update(ApiKey)
                .where(which, ApiKey.revoked_at.is_(None))
                .values(revoked_at=now or utcnow())
            )
            count = rowcount(result)
        if count == 0:
            raise NotFoundError(f"no active API key {name_or_prefix!r}")
        return count
