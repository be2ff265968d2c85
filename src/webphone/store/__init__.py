"""Persistence: SIP users, admin users, saved components and CDRs; SQLite by default, PostgreSQL
when `WEBPHONE_DATABASE_URL` names one. `Database.open()` migrates the schema (Alembic)."""

from .admins import AdminUsers, hash_password, needs_rehash, verify_password
from .api_keys import ApiKey, ApiKeys
from .cdr_stats import MOS_BUCKETS, Bucket, CallSummary, CdrFilter, MosBucket, StatusCount
from .cdr_values import cdr_dict
from .cdrs import CSV_COLUMNS, Cdrs
from .component_fields import destination_allowed
from .components import Components, public_fields
from .database import Database, UserStore
from .engine import DATA_DIR_ENV, DATABASE_URL_ENV, data_dir, database_url
from .errors import ExistsError, NotFoundError, StoreError, ValidationError
from .models import AdminUser, CdrRow, Component, SipUser
from .users import SipUsers, UserError, UserExistsError, UserNotFoundError, validate_name

__all__ = [
    "CSV_COLUMNS",
    "DATABASE_URL_ENV",
    "DATA_DIR_ENV",
    "MOS_BUCKETS",
    "AdminUser",
    "AdminUsers",
    "ApiKey",
    "ApiKeys",
    "Bucket",
    "CallSummary",
    "CdrFilter",
    "CdrRow",
    "Cdrs",
    "Component",
    "Components",
    "Database",
    "ExistsError",
    "MosBucket",
    "NotFoundError",
    "SipUser",
    "SipUsers",
    "StatusCount",
    "StoreError",
    "UserError",
    "UserExistsError",
    "UserNotFoundError",
    "UserStore",
    "ValidationError",
    "cdr_dict",
    "data_dir",
    "database_url",
    "destination_allowed",
    "hash_password",
    "needs_rehash",
    "public_fields",
    "validate_name",
    "verify_password",
]
