"""Fixtures for the end-to-end tests: the sync tests' HTTP client."""

from tests.sync.conftest import http  # noqa: F401 (a fixture)
