"""The base of every generated contract model: rules the spec states but pydantic would relax."""

import types
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

# JSON scalars that pydantic's lax mode would coerce (0 -> False, "5" -> 5). Strict mode as a
# whole would also refuse enum and date strings coming through FastAPI, so only these are pinned.
_EXACT_JSON_TYPES: dict[type, tuple[type, ...]] = {bool: (bool,), int: (int,), float: (int, float)}
_JSON_NAMES = {bool: "boolean", int: "integer", float: "number"}


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple | set):
        return any(_contains_nul(item) for item in value)
    return False


def _scalar_type(annotation: Any) -> type | None:
    """`bool` for `bool`, `bool | None` or `bool | MISSING`; None for anything else."""
    candidates = (
        get_args(annotation)
        if get_origin(annotation) in (Union, types.UnionType)
        else (annotation,)
    )
    scalars = [c for c in candidates if c in _EXACT_JSON_TYPES]
    return scalars[0] if len(scalars) == 1 else None


def _is_exact(value: Any, expected: type) -> bool:
    if value is None:
        return True  # nullability is the schema's business, checked after this
    if isinstance(value, bool) and expected is not bool:
        return False
    return isinstance(value, _EXACT_JSON_TYPES[expected])


class ContractModel(BaseModel):
    """NUL is refused in text (PostgreSQL cannot store it) and JSON scalars are not coerced."""

    model_config = ConfigDict(populate_by_name=True)

    @field_validator("*", mode="before")
    @classmethod
    def _reject_nul_and_coercion(cls, value: Any, info: ValidationInfo) -> Any:
        if _contains_nul(value):
            raise ValueError("Text must not contain the NUL character")
        field = cls.model_fields.get(info.field_name or "")
        expected = _scalar_type(field.annotation) if field else None
        if expected is not None and not _is_exact(value, expected):
            raise ValueError(f"Input should be a JSON {_JSON_NAMES[expected]}")
        return value
