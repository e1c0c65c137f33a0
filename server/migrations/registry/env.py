"""Alembic environment of the registry database history; server.migrate runs it with a connection."""

from alembic import context

from server.migrate import run_env
from server.model_tables import target_metadata

run_env(context, lambda: target_metadata("registry"))
