"""Alembic environment of the account database history; server.migrate runs it with a connection."""

from alembic import context

from server.migrate import run_env

run_env(context, "account")
