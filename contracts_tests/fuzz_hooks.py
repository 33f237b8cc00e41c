"""Schemathesis hooks for `nox -s contract`, loaded through SCHEMATHESIS_HOOKS.

A fresh `Idempotency-Key` for every request that sends a valid one. Schemathesis reuses the
values it generated, so a later case replayed an earlier create's answer: an invalid body was
refused for its key rather than for the body (masking the body's check), and a replay of a
post deleted since made the stateful phase fail now and then (ST302, a created resource not
found). Replays have their own tests (tests/test_idempotency.py). An invalid key is left as
generated: its refusal is what that case is about.

Every answer is recorded (operation, status, header names) for the contract coverage report
(contracts_tests.coverage), as `INKWELL_CONTRACT_SOURCE` (the run's role) when it is set.
"""

import os
import re
import uuid
from typing import Any

import schemathesis

from contracts_tests.coverage import record

HEADER = "Idempotency-Key"
_VALID = re.compile(r"[\x21-\x7E]{1,255}")


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    headers = case.headers
    if headers and isinstance(key := headers.get(HEADER), str) and _VALID.fullmatch(key):
        headers[HEADER] = uuid.uuid4().hex


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    operation = case.operation.definition.raw.get("operationId", case.operation.label)
    source = os.environ.get("INKWELL_CONTRACT_SOURCE", "schemathesis")
    record(source, operation, response.status_code, response.headers.keys())
