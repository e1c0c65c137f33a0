from __future__ import annotations

from fastapi import APIRouter

import server
from sync.core.wire import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="Is the server up, and which protocol does it speak")
def health() -> Health:
    return Health(version=server.__version__)
