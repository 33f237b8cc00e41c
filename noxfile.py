"""Every task a person or CI runs. `python3 noxfile.py` runs every check CI runs.

`python3 noxfile.py -s NAME` works on a machine with nothing but Python: the block below installs
nox (and uv, which it uses to build session environments) into `.nox/_bootstrap` first.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
BOOTSTRAP = ROOT / ".nox" / "_bootstrap"
BOOTSTRAP_PACKAGES = ["nox==2026.10.20", "uv==0.13.9"]


def _bootstrap() -> None:
    """Re-run this file with a Python that has nox, creating that Python on first use."""
    python = BOOTSTRAP / "bin" / "python"
    if Path(sys.prefix).resolve() == BOOTSTRAP.resolve():
        raise SystemExit("nox is missing from .nox/_bootstrap; delete that folder and retry")
    if not python.exists():
        print(f"Installing {' '.join(BOOTSTRAP_PACKAGES)} into {BOOTSTRAP} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(BOOTSTRAP)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *BOOTSTRAP_PACKAGES], check=True
        )
    os.execv(str(python), [str(python), __file__, *sys.argv[1:]])


if __name__ == "__main__":
    try:
        import nox
    except ImportError:
        _bootstrap()

import nox  # noqa: E402

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True
# `coverage` last: it reports what the sessions before it measured.
nox.options.sessions = [
    "lint", "drift", "tests", "contract", "client", "generators", "stack_check", "breaking",
    "coverage",
]  # fmt: skip

PYTHON = "3.11"
PYPROJECT = nox.project.load_toml("pyproject.toml")
CLIENT = ROOT / "clients" / "typescript"
SPEC_TOOLS = ROOT / "openapi"
GENERATE_HINT = "Run `python3 noxfile.py -s generate` and commit the result."
# Where every measured process writes its coverage data (pyproject.toml [tool.coverage]).
COVERAGE_DATA = ROOT / ".coverage-data"


def _install(session: nox.Session, *groups: str) -> None:
    """The project (editable) plus the named dependency groups from pyproject.toml."""
    session.install("-e", ".", *nox.project.dependency_groups(PYPROJECT, *groups))


def _npm_ci(session: nox.Session, folder: Path) -> None:
    """`npm ci` once per lock file change: skip it when node_modules matches the lock."""
    lock = folder / "package-lock.json"
    stamp = folder / "node_modules" / ".inkwell-lock"
    if stamp.exists() and stamp.read_text() == lock.read_text():
        return
    session.run("npm", "ci", "--no-audit", "--no-fund", external=True, env={"CI": "true"})
    stamp.write_text(lock.read_text())


@nox.session(python=PYTHON)
def serve(session: nox.Session) -> None:
    """Start the API on http://127.0.0.1:8000 (embedded PostgreSQL unless DATABASE_URL is set)."""
    _install(session)
    session.run("python", "-m", "app", *session.posargs)


@nox.session(python=PYTHON)
def generate(session: nox.Session) -> None:
    """Regenerate app/contract/models.py and clients/typescript/src/gen from the spec."""
    _install(session, "codegen")
    session.run("datamodel-codegen")
    with session.chdir(CLIENT):
        _npm_ci(session, CLIENT)
        session.run("npm", "run", "--silent", "generate", external=True)


@nox.session(python=PYTHON)
def drift(session: nox.Session) -> None:
    """Fail when committed generated code differs from what the spec generates."""
    _install(session, "codegen")
    try:
        session.run("datamodel-codegen", "--check", silent=True)
    except nox.command.CommandFailed:
        session.error(f"app/contract/models.py is stale against the spec. {GENERATE_HINT}")
    with session.chdir(CLIENT):
        _npm_ci(session, CLIENT)
        try:
            session.run("npm", "run", "--silent", "drift", external=True)
        except nox.command.CommandFailed:
            session.error(f"clients/typescript is stale against the spec. {GENERATE_HINT}")


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff, mypy (strict, generated models included) and the spec linters."""
    _install(session, "lint", "test", "contract")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")
    with session.chdir(SPEC_TOOLS):
        _npm_ci(session, SPEC_TOOLS)
        session.run("npm", "run", "--silent", "lint", external=True)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The server's own tests against a real PostgreSQL (embedded unless DATABASE_URL is set)."""
    _install(session, "test")
    _measured(session, "pytest", "tests", *session.posargs)


@nox.session(python=PYTHON)
def contract(session: nox.Session) -> None:
    """Route conformance, the live walk and Schemathesis (as admin and as a user) against live
    servers; junit in reports/schemathesis/. Then the coverage table, reports/contract/
    coverage.md: fails naming each documented (operation, status) or response header that no
    suite observed (contracts_tests/coverage.py, its exemptions with their reasons)."""
    _install(session, "test", "contract")
    log = ROOT / "reports" / "contract" / "observed.jsonl"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.unlink(missing_ok=True)
    env = {"INKWELL_CONTRACT_LOG": str(log)}
    # Not under coverage: it would slow every fuzzed request, for lines the tests already run.
    session.run("pytest", "contracts_tests", *session.posargs, env=env)
    session.run("python", "-m", "contracts_tests.coverage", env=env)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Requests/s, p50/p99 and statements per request of the read and write paths on 100,000
    posts, each beside an in-memory ceiling of the same shape measured in the same run."""
    _install(session)
    if shutil.which("wrk") is None:
        _apt_install(session, "wrk")
    session.run("python", "-m", "tests.benchmarks.run", *session.posargs)


@nox.session(python=PYTHON)
def admin(session: nox.Session) -> None:
    """Create or promote an administrator: `nox -s admin -- EMAIL [--display-name NAME]`."""
    _install(session)
    session.run("python", "-m", "app.admin", *session.posargs)


def _measured(session: nox.Session, module: str, *args: str, **kwargs: Any) -> None:
    """`python -m MODULE ARGS` under coverage, with every Python process it starts measured too
    (`nox -s coverage` combines and reports them)."""
    COVERAGE_DATA.mkdir(exist_ok=True)
    env = {**(kwargs.pop("env", None) or {}), "COVERAGE_FILE": str(COVERAGE_DATA / ".coverage")}
    session.run("coverage", "run", "-m", module, *args, env=env, **kwargs)


@nox.session(python=PYTHON)
def coverage(session: nox.Session) -> None:
    """Line and branch coverage of app/ from the sessions that ran before it (tests, client,
    generators and every server they started), combined; fails under pyproject.toml's floor.
    The HTML report is in reports/coverage/."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "coverage"))
    if not any(COVERAGE_DATA.glob(".coverage.*")):
        session.error("No coverage data: run the test sessions first (`python3 noxfile.py`).")
    env = {"COVERAGE_FILE": str(COVERAGE_DATA / ".coverage")}
    session.run("coverage", "combine", "--quiet", env=env)
    session.run(
        "coverage", "html", "--quiet", "-d", "reports/coverage", env=env, success_codes=[0, 2]
    )
    session.run("coverage", "report", env=env)
    (COVERAGE_DATA / ".coverage").unlink()  # the next run measures afresh


def _apt_install(session: nox.Session, package: str) -> None:
    """Install a Debian package when running as root; otherwise say how."""
    if os.geteuid() != 0:
        session.error(f"{package} is missing: run `sudo apt-get install {package}` and retry.")
    session.run("apt-get", "update", "-qq", external=True)
    # CI has no terminal: never let a package's configuration stop to ask.
    noninteractive = {"DEBIAN_FRONTEND": "noninteractive"}
    session.run("apt-get", "install", "-y", "-qq", package, external=True, env=noninteractive)


DEMO = ROOT / "clients" / "vue-demo"
CHROMIUM = Path("/usr/bin/chromium")  # the browser clients/vue-demo/tests/browser.test.js drives


def _free_port() -> int:
    # The same as contracts_tests.live_server.free_port, which nox's own Python cannot import.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _npm_against_live_server(
    session: nox.Session, folder: Path, script: str, env: dict[str, str] | None = None
) -> None:
    """`npm run SCRIPT` in `folder` with INKWELL_BASE_URL set to a server on a fresh database."""
    npm = ("npm", "--prefix", str(folder), "run", "--silent", script)
    _measured(session, "contracts_tests.live_server", "--", *npm, env=env)


@nox.session(python=PYTHON)
def client(session: nox.Session) -> None:
    """The TypeScript package (type check and type tests, tests against a live server, the packed
    tarball in a fresh Vite + Vue app and in plain Node) and the Vue demo using it (type check, a
    Chromium test against a live server; screenshots in reports/browser/).
    """
    _install(session, "coverage")
    if not CHROMIUM.exists():
        _apt_install(session, "chromium")
    with session.chdir(CLIENT):
        _npm_ci(session, CLIENT)
        session.run("npm", "run", "--silent", "typecheck", external=True)
    _npm_against_live_server(session, CLIENT, "test")
    with session.chdir(CLIENT):
        # The demo imports the package through its `exports`, i.e. dist/, which git ignores.
        session.run("npm", "run", "--silent", "build", external=True)
        # `npm pack`, then the tarball installed into a fresh Vite + Vue 3 + TS app (vue-tsc,
        # vite build) and, without Vue, into a plain Node ESM project (about 45 s).
        session.run("npm", "run", "--silent", "consumer-check", external=True)
    with session.chdir(DEMO):
        _npm_ci(session, DEMO)
        session.run("npm", "run", "--silent", "typecheck", external=True)
    # The server must allow the demo's origin: the port is chosen here and given to both.
    port = _free_port()
    demo = f"http://127.0.0.1:{port}"  # also APP_URL: the links the server mails open the demo
    origin = {"CORS_ORIGINS": demo, "APP_URL": demo, "DEMO_PORT": str(port)}
    _npm_against_live_server(session, DEMO, "test:browser", env=origin)


def _spec_tool(session: nox.Session, script: str, *args: str) -> None:
    """An npm script of openapi/package.json (the spec tooling: lint, breaking, mock)."""
    with session.chdir(SPEC_TOOLS):
        _npm_ci(session, SPEC_TOOLS)
        extra = ("--", *args) if args else ()
        session.run("npm", "run", "--silent", script, *extra, external=True)


@nox.session(python=False)
def breaking(session: nox.Session) -> None:
    """Fail on a breaking change against openapi/baseline unless info.version bumps its major."""
    _spec_tool(session, "breaking")
    session.log("Self-test: the gate still catches planted breaking changes (about 30 s)")
    _spec_tool(session, "breaking:selftest")


@nox.session(python=PYTHON)
def changelog(session: nox.Session) -> None:
    """Write openapi/CHANGELOG.md: what changed since the released baseline, in plain words."""
    _install(session)
    session.run("python", "openapi/tools/changelog.py")


@nox.session(python=PYTHON)
def release(session: nox.Session) -> None:
    """Release the working spec: it becomes the baseline and its changes a changelog section."""
    _spec_tool(session, "lint")
    _spec_tool(session, "breaking")
    _install(session)
    # Freeze the section first: it is computed against the old baseline (and checks the version).
    session.run("python", "openapi/tools/changelog.py", "--release")
    (SPEC_TOOLS / "baseline" / "openapi.yaml").write_bytes(
        (SPEC_TOOLS / "openapi.yaml").read_bytes()
    )
    session.run("python", "openapi/tools/changelog.py")
    session.log("Commit openapi/baseline/openapi.yaml and openapi/CHANGELOG.md together.")


@nox.session(python=PYTHON)
def review(session: nox.Session) -> None:
    """For a spec change: lint, regenerate, the generated diff, breaking changes, the changelog
    and what the server does not implement yet; fails when any of it must be fixed."""
    from collections.abc import Callable

    must_fix: list[str] = []

    def step(title: str, problem: str, *actions: Callable[[], object]) -> None:
        """Run every step even after a failure: the reviewer wants the whole report at once."""
        session.log(f"==== {title}")
        try:
            for action in actions:
                action()
        except nox.command.CommandFailed:
            must_fix.append(problem)

    def run(*command: str) -> Callable[[], object]:
        return lambda: session.run(*command, external=True)

    generated = ("app/contract/models.py", "clients/typescript/src/gen")
    step(
        "Spec lint",
        "lint findings in the spec (file:line above)",
        lambda: _spec_tool(session, "lint"),
    )
    step(
        "Regenerate the models and the client", "code generation failed", lambda: generate(session)
    )
    step(
        "What regeneration changed",
        "git could not show the diff",
        run("git", "--no-pager", "diff", "--stat"),
        run("git", "status", "--short", "--untracked-files=all", "--", *generated),
        run("git", "--no-pager", "diff", "--", *generated),
    )
    step(
        "Breaking changes against the released baseline (openapi/baseline/openapi.yaml)",
        "a breaking change without a major version bump",
        lambda: _spec_tool(session, "breaking"),
    )
    step(
        "Changelog (openapi/CHANGELOG.md)",
        "the changelog could not be written",
        run("python", "openapi/tools/changelog.py"),
        run("git", "--no-pager", "diff", "--", "openapi/CHANGELOG.md"),
    )
    step(
        "Operations the server does not implement yet (route conformance)",
        "the server's routes and the spec differ",
        run("python", "-m", "contracts_tests.conformance"),
    )
    if must_fix:
        session.error("Must fix: " + "; ".join(must_fix))
    session.log("Nothing to fix: the spec, the generated code and the server agree.")


OTHER_GENERATORS = ROOT / "clients" / "other-generators"


@nox.session(python=PYTHON)
def generators(session: nox.Session) -> None:
    """Other generators: openapi-python-client, openapi-typescript + openapi-fetch and orval each
    generate a client from the spec afresh (into clients/other-generators/generated/, ignored by
    git), which must type-check and complete the full flow against one live server: register,
    verify the mailed link, log in, create (Idempotency-Key), update (If-Match), publish, read
    publicly, list, comment, refresh, log out."""
    _install(session, "generators", "lint", "coverage")
    with session.chdir(OTHER_GENERATORS):
        session.run("python", "generate_python.py")
        session.run("mypy", "--config-file", "mypy.ini")
        _npm_ci(session, OTHER_GENERATORS)
        session.run("npm", "run", "--silent", "generate", external=True)
        session.run("npm", "run", "--silent", "typecheck", external=True)
    flows = str(OTHER_GENERATORS / "run_flows.py")
    _measured(session, "contracts_tests.live_server", "--", "python", flows)


@nox.session(python=False)
def mock(session: nox.Session) -> None:
    """Serve the spec's examples with Prism on http://127.0.0.1:4010 (Prism's defaults), for the
    Vue team; `nox -s mock -- --port 4011` moves it."""
    _spec_tool(session, "mock", *session.posargs)


def _stack_programs(session: nox.Session) -> None:
    """nginx (with the module that drops its Server header) and PgBouncer, Debian's, installed
    with apt when missing."""
    for program in ("nginx", "pgbouncer"):
        if not (shutil.which(program) or shutil.which(program, path="/usr/sbin:/sbin")):
            _apt_install(session, program)
    if not Path("/usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so").exists():
        _apt_install(session, "libnginx-mod-http-headers-more-filter")


@nox.session(python=PYTHON)
def stack(session: nox.Session) -> None:
    """The production topology on loopback until Ctrl-C: nginx on http://127.0.0.1:8080 before
    two API instances, PgBouncer (transaction mode) before the primary, a streaming replica, the
    job worker and a mail sink; logs in .data/stack/logs/ (`-- --port 9080 --instances 3`)."""
    _install(session, "test")
    _stack_programs(session)
    # Ctrl-C reaches every process of the stack: the launcher stops them in order (the API
    # instances drain first); nox must not kill it meanwhile.
    session.run("python", "-m", "tests.stack", *session.posargs, interrupt_timeout=180)


@nox.session(python=PYTHON)
def stack_check(session: nox.Session) -> None:
    """On a stack of its own, through nginx: request ids and client addresses pass, Schemathesis
    finds no failure, signed-in writes under load get no 5xx, and an API instance stopped
    (SIGTERM) under load fails no request."""
    _install(session, "test", "contract")
    _stack_programs(session)
    # Not under coverage (nor is `contract`): the load checks would measure the tracer, and the
    # tests session already runs these lines.
    session.run("pytest", "tests/stack/checks.py", "-p", "no:cacheprovider", *session.posargs)


if __name__ == "__main__":
    nox.main()
