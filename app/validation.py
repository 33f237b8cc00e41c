"""The base of every generated contract model: rules the spec states in prose."""

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple | set):
        return any(_contains_nul(item) for item in value)
    return False


class ContractModel(BaseModel):
    """PostgreSQL cannot store NUL in text, so the contract rejects it (422) at the edge."""

    model_config = ConfigDict(populate_by_name=True)

    @field_validator("*", mode="before")
    @classmethod
    def _reject_nul(cls, value: Any) -> Any:
        if _contains_nul(value):
            raise ValueError("Text must not contain the NUL character")
        return value
