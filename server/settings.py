"""Server settings: command-line values over FRONTDESK_* environment variables over defaults."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    env = os.environ.get("FRONTDESK_DATA_DIR")
    return Path(env) if env else Path(user_data_dir("frontdesk-server", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FRONTDESK_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    host: str = "127.0.0.1"
    port: int = 8800
    access_token_minutes: int = Field(default=15, ge=1)
    refresh_token_days: int = Field(default=60, ge=1)
    log_level: str = "info"
