"""Alembic revisions, one file per migration: `vNNNN_what.py` with `revision = "NNNN"`."""
