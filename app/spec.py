"""The reviewed contract, served as-is at /openapi.json (not FastAPI's derived document)."""

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

SPEC_PATH = Path(__file__).resolve().parents[1] / "openapi" / "openapi.yaml"


class _JsonCompatibleLoader(yaml.SafeLoader):
    """YAML 1.1 would turn `2026-12-01` into a date, which JSON cannot carry: keep it a string."""


_JsonCompatibleLoader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_spec(text: str) -> dict[str, Any]:
    spec: dict[str, Any] = yaml.load(text, Loader=_JsonCompatibleLoader)  # noqa: S506 - safe loader
    return spec


@lru_cache
def load_spec() -> dict[str, Any]:
    return parse_spec(SPEC_PATH.read_text(encoding="utf-8"))
