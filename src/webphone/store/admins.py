"""Admin users: argon2 password hashes, and a lock after repeated failed logins.

Hashing is deliberately slow (tens of milliseconds, 64 MiB): an asyncio caller runs
`authenticate`, `add` and `set_password` in a thread.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import case, delete, literal, select, update
from sqlalchemy.exc import IntegrityError

from .engine import Sessions, rowcount
from .errors import ExistsError, NotFoundError, ValidationError
from .models import AdminUser, UtcDateTime, utcnow

__all__ = [
    "LOCK_TIME",
    "MAX_FAILED_LOGINS",
    "AdminUsers",
    "hash_password",
    "needs_rehash",
    "verify_password",
]

#: Consecutive failed logins that lock an account, and for how long. Past the limit each
#: further failure locks it again, so a guesser gets one try per LOCK_TIME.
MAX_FAILED_LOGINS = 5
LOCK_TIME = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024

_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")
# argon2id with the library's defaults (RFC 9106's second recommended option).
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the name is unknown: a miss takes as long as a wrong password."""
    return _hasher.hash("not the password of anyone")


def hash_password(password: str) -> str:
    """An argon2id hash of `password`, in the PHC string format (`$argon2id$v=19$...`)."""
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    """Whether `password` matches `password_hash`; False for a hash that is not argon2."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


def _validate(name: str | None, password: str | None) -> None:
    if name is not None and (not isinstance(name, str) or not _NAME_RE.fullmatch(name)):
        raise ValidationError(
            "name",
            name,
            "use 1 to 64 letters, digits and . _ @ + -, starting with one of the first",
        )
    if password is None:
        return
    # The value is never echoed: error messages end up in logs.
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError("password", "***", f"use at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError("password", "***", f"at most {MAX_PASSWORD_LENGTH} characters")


class AdminUsers:
    """Who may use the admin pages."""

    def __init__(self, sessions: Sessions) -> None:
        self._db = sessions

    def add(self, name: str, password: str, *, now: datetime | None = None) -> AdminUser:
        _validate(name, password)
        password_hash = hash_password(password)  # before the transaction: it is slow
        user = AdminUser(
            name=name,
            password_hash=password_hash,
            created_at=now or utcnow(),
            failed_logins=0,
            locked_until=None,
        )
        taken = ExistsError(f"admin user {name!r} already exists")
        try:
            with self._db.write() as session:
                if session.scalar(select(AdminUser.id).where(AdminUser.name == name)) is not None:
                    raise taken
                session.add(user)
        except IntegrityError:  # added by another process since the check
            raise taken from None
        return user

    def get(self, name: str) -> AdminUser | None:
        with self._db.read() as session:
            return session.scalar(select(AdminUser).where(AdminUser.name == name))

    def list(self) -> list[AdminUser]:
        with self._db.read() as session:
            return list(session.scalars(select(AdminUser).order_by(AdminUser.name)))

    def remove(self, name: str) -> None:
        with self._db.write() as session:
            if rowcount(session.execute(delete(AdminUser).where(AdminUser.name == name))) == 0:
                raise NotFoundError(f"no admin user {name!r}")

    def set_password(self, name: str, password: str) -> None:
        """A new password; it also lifts a lock (an admin reset it)."""
        _validate(None, password)
        values = {"password_hash": hash_password(password), "failed_logins": 0}
        self._update(name, values | {"locked_until": None})

    def unlock(self, name: str) -> None:
        self._update(name, {"failed_logins": 0, "locked_until": None})

    def _update(self, name: str, values: dict[str, object]) -> None:
        with self._db.write() as session:
            result = session.execute(
                update(AdminUser).where(AdminUser.name == name).values(**values)
            )
            if rowcount(result) == 0:
                raise NotFoundError(f"no admin user {name!r}")

    def authenticate(
        self, name: str, password: str, *, now: datetime | None = None
    ) -> AdminUser | None:
        """The user when the password is right and the account not locked; else None.

        A failure counts towards the lock; a success clears the count (and upgrades an old
        hash). The hash is checked outside any transaction, since it takes a while.
        """
        now = now or utcnow()
        user = self.get(name) if isinstance(name, str) else None
        if user is None:
            verify_password(password, _dummy_hash())
            return None
        if user.locked_until is not None and now < user.locked_until:
            return None
        if not verify_password(password, user.password_hash):
            # One statement, so that concurrent failures all count.
            failed = AdminUser.failed_logins + 1
            until = literal(now + LOCK_TIME, UtcDateTime())
            lock = case((failed >= MAX_FAILED_LOGINS, until), else_=AdminUser.locked_until)
            with self._db.write() as session:
                session.execute(
                    update(AdminUser)
                    .where(AdminUser.id == user.id)
                    .values(failed_logins=failed, locked_until=lock)
                )
            return None
        values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
        if needs_rehash(user.password_hash):
            values["password_hash"] = hash_password(password)
        with self._db.write() as session:
            session.execute(update(AdminUser).where(AdminUser.id == user.id).values(**values))
        user.failed_logins, user.locked_until = 0, None
        return user
