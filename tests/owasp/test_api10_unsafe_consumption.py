"""API10:2023 Unsafe Consumption of APIs — does not apply to Inkwell, and this module holds
the facts that make it so.

The risk is trusting what the server receives from *other* APIs (third-party services,
integrations, redirects it follows) more than what users send. Inkwell calls no other API: its
runtime dependencies include no HTTP client and its code imports none. What it does take from
outside its own code is:

- PostgreSQL, its own database, at the `DATABASE_URL` the operator sets;
- a reverse proxy's `X-Forwarded-For`, believed only from the addresses in
  `FORWARDED_ALLOW_IPS` (tests/test_proxies.py; the wiring of `python -m app` in
  tests/owasp/test_api8_security_misconfiguration.py);
- its own contract file, reviewed like code.

Should an integration ever be added, the first two tests fail and this risk applies: what the
integration answers then needs the validation user input gets (the contract models), bounded
sizes and time-outs, and tests here.
"""

from tests.owasp.support import (
    HTTP_CLIENTS,
    ROOT,
    imported_modules,
    is_module_or_below,
    runtime_requirements,
)

API_CLIENTS = HTTP_CLIENTS | {
    "grpc",
    "websockets",
    "boto3",
    "botocore",
    "google",
    "stripe",
    "twilio",
    "sendgrid",
}


def test_no_runtime_dependency_is_an_api_client() -> None:
    requirements = {name.lower() for name in runtime_requirements()}
    assert requirements, "pyproject.toml lists the runtime dependencies"
    assert requirements & {name.split(".")[0] for name in API_CLIENTS} == set()


def test_the_server_imports_no_api_client() -> None:
    imported = imported_modules(ROOT / "app")
    assert "fastapi" in imported  # the scan sees the code
    assert sorted(name for name in imported if is_module_or_below(name, API_CLIENTS)) == []
