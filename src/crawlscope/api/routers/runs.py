"""PLACEHOLDER: routes arrive with their issue (see docs/api.md)."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter()
