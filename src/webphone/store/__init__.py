"""Persistence: SIP users today (components, CDRs and admin users to come), SQLite by default."""

from .users import (
    SipUser,
    UserError,
    UserExistsError,
    UserNotFoundError,
    UserStore,
    data_dir,
    validate_name,
)

__all__ = [
    "SipUser",
    "UserError",
    "UserExistsError",
    "UserNotFoundError",
    "UserStore",
    "data_dir",
    "validate_name",
]
