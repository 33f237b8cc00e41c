"""The contract's models, generated from openapi/openapi.yaml (see models.py)."""

from app.contract.models import *  # noqa: F403
