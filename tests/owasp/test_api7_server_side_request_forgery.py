"""API7:2023 Server Side Request Forgery — does not apply to Inkwell, and this module holds
the facts that make it so.

SSRF needs the server to fetch a URL (or reach a host) that a client chose: a webhook, an
avatar or feed URL, a link preview, an import from a URL. Inkwell has none: no operation of
the contract takes a URL, URI or host name, and the server's code has no client that could
fetch one (no HTTP, FTP or mail client; its only outbound connection is the PostgreSQL that
`DATABASE_URL` names, set by the operator). The only URLs the server writes (`Location`,
`Problem.instance`) are paths on itself, never built from the `Host` a client sends.

Should a feature ever fetch a URL, the first two tests fail and this risk applies: the fetch
then needs an allow-list of schemes and hosts, no redirects to private addresses, and tests
here.
"""

import re
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncConnection

from app.config import get_settings
from app.spec import load_spec
from tests.helpers import PASSWORD, mails_to, unique_email
from tests.owasp.support import (
    HTTP_CLIENTS,
    ROOT,
    imported_modules_of,
    is_module_or_below,
    operations,
    resolve,
    walk,
)

URL_FORMATS = {"uri", "uri-reference", "iri", "iri-reference", "url", "hostname", "idn-hostname"}
URL_NAMES = re.compile(
    r"url|uri|href|link|host|domain|callback|webhook|redirect|avatar|image|feed|endpoint", re.I
)
# Modules that open connections a request could aim: HTTP, FTP and mail clients, raw sockets.
FETCHERS = HTTP_CLIENTS | {
    "ftplib",
    "smtplib",
    "aiosmtplib",
    "socket",
    "websockets",
}


def _request_inputs() -> list[tuple[str, str, dict[str, Any]]]:
    """(where, name, schema) of every parameter and request body of every operation; a body
    has no name of its own (its properties do)."""
    found = []
    for op in operations():
        for parameter in op.parameters():
            where = f"{op.operation_id} {parameter['in']} {parameter['name']}"
            found.append((where, parameter["name"], parameter["schema"]))
        for media, content in op.spec.get("requestBody", {}).get("content", {}).items():
            found.append((f"{op.operation_id} {media}", "", content["schema"]))
    return found


def _fields(where: str, name: str, schema: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(where, name, resolved schema) of a request input and of every property and item
    below it."""
    schema = resolve(schema)
    found = [(where, name, schema)]
    for prop, below in schema.get("properties", {}).items():
        found.extend(_fields(f"{where}.{prop}", prop, below))
    if "items" in schema:
        found.extend(_fields(f"{where}[]", name, schema["items"]))
    for keyword in ("anyOf", "oneOf", "allOf"):
        for n, alternative in enumerate(schema.get(keyword, [])):
            found.extend(_fields(f"{where}|{n}", name, alternative))
    return found


def test_no_request_field_of_the_contract_is_a_url_or_a_host() -> None:
    inputs = [field for found in _request_inputs() for field in _fields(*found)]
    suspicious = [
        where
        for where, name, schema in inputs
        if schema.get("format") in URL_FORMATS or URL_NAMES.search(name)
    ]
    assert suspicious == []
    assert len(inputs) > 40, "every input of the contract was looked at"


def test_the_contract_declares_no_callbacks_or_webhooks() -> None:
    spec = load_spec()
    assert "webhooks" not in spec
    assert not [node for node in walk(spec["paths"]) if "callbacks" in node]


# The network clients the server does have, and why no request can aim them: the worker's SMTP
# client connects to SMTP_URL, an operator's setting (requests only choose recipients among
# accounts and the mail's text); app/children.py asks the OS for a free loopback port for
# the development mail sink and waits until it listens there; app/lifecycle.py only filters
# and closes the server's own listening socket while it drains.
KNOWN_CLIENTS = {
    "jobs/smtp.py": ["aiosmtplib"],
    "children.py": ["socket"],
    "lifecycle.py": ["socket"],
}


def test_the_server_has_no_client_that_could_fetch_a_url() -> None:
    found = {}
    for path in sorted((ROOT / "app").rglob("*.py")):
        names = sorted({n.split(".")[0] for n in imported_modules_of(path) if _fetches(n)})
        if names:
            found[str(path.relative_to(ROOT / "app"))] = names
    assert found == KNOWN_CLIENTS


def _fetches(name: str) -> bool:
    return is_module_or_below(name, FETCHERS)


async def test_the_urls_the_server_writes_are_its_own_paths(
    client: httpx.AsyncClient, db: AsyncConnection
) -> None:
    """A forged `Host` (or forwarded host) does not make the server name another site, not
    in a header and not in the links it mails (they lead to APP_URL, a setting)."""
    email = unique_email()
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "display_name": "Host"},
        headers={"Host": "attacker.example", "X-Forwarded-Host": "attacker.example"},
    )
    assert response.status_code == 202, response.text
    assert "location" not in response.headers
    (mail,) = await mails_to(db, email)
    assert "attacker" not in mail["text"]
    assert f"{get_settings().app_url}/verify-email?token=" in mail["text"]
    missing = await client.get(
        "/api/v1/nowhere", headers={"Host": "attacker.example:8080", "X-Forwarded-Host": "x.test"}
    )
    assert missing.json()["instance"] == "/api/v1/nowhere"
    assert "attacker" not in missing.text
