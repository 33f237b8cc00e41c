"""The base of every generated contract model: rules the spec states but pydantic would relax."""

import types
from typing import Any, ClassVar, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationInfo, field_validator

# JSON scalars that pydantic's lax mode would coerce (0 -> False, "5" -> 5). Strict mode as a
# whole would also refuse enum and date strings coming through FastAPI, so only these are pinned.
_ACCEPTED: dict[type, tuple[type, ...]] = {bool: (bool,), int: (int,), float: (int, float)}
_JSON_NAMES = {bool: "boolean", int: "integer", float: "number"}
NUL_MESSAGE = "Text must not contain the NUL character"


def _reject_nul(value: str | None) -> str | None:
    if value is not None and "\x00" in value:
        raise ValueError(NUL_MESSAGE)
    return value


# For text in query parameters, which are no contract models: `Annotated[str, Query(), NoNul]`.
NoNul = AfterValidator(_reject_nul)


def _scalar_type(annotation: Any) -> type | None:
    """`bool` for `bool`, `bool | None` or `bool | MISSING`; None for anything else."""
    union = get_origin(annotation) in (Union, types.UnionType)
    scalars = [c for c in (get_args(annotation) if union else (annotation,)) if c in _ACCEPTED]
    return scalars[0] if len(scalars) == 1 else None


def _is_exact(value: Any, expected: type) -> bool:
    if value is None:
        return True  # nullability is the schema's business, checked after this
    if isinstance(value, bool) and expected is not bool:
        return False
    return isinstance(value, _ACCEPTED[expected])


class ContractModel(BaseModel):
    """NUL is refused in text (PostgreSQL cannot store it) and JSON scalars are not coerced."""

    model_config = ConfigDict(populate_by_name=True)
    # Field name -> the JSON scalar type it must receive exactly; computed once per class.
    _exact_types: ClassVar[dict[str, type]] = {}

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._exact_types = {
            name: expected
            for name, field in cls.__pydantic_fields__.items()
            if (expected := _scalar_type(field.annotation)) is not None
        }

    @field_validator("*", mode="before")
    @classmethod
    def _reject_nul_and_coercion(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str):
            if "\x00" in value:
                raise ValueError(NUL_MESSAGE)
        elif isinstance(value, list) and any(
            isinstance(item, str) and "\x00" in item for item in value
        ):
            raise ValueError(NUL_MESSAGE)
        expected = cls._exact_types.get(info.field_name or "")
        if expected is not None and not _is_exact(value, expected):
            raise ValueError(f"Input should be a JSON {_JSON_NAMES[expected]}")
        return value
