"""Alembic environment of the registry database history; server.migrate runs it with a connection."""

from alembic import context

from server.migrate import run_env

run_env(context, "registry")
