"""Write openapi/CHANGELOG.md: what changed between the released baseline and the working spec.

The frontend team reads it, so it names operations and fields, not JSON pointers, and leaves out
wording-only edits (summaries, descriptions). The output depends on the two specs alone: sorted,
no dates, nothing from the environment.

    python openapi/tools/changelog.py            rewrite the Unreleased section
    python openapi/tools/changelog.py --release  also freeze it under the working version
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

OPENAPI = Path(__file__).resolve().parents[1]
WORKING = OPENAPI / "openapi.yaml"
BASELINE = OPENAPI / "baseline" / "openapi.yaml"
CHANGELOG = OPENAPI / "CHANGELOG.md"
START, END = "<!-- unreleased:start -->", "<!-- unreleased:end -->"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Schema keywords whose change alters what a client may send or receive.
CONSTRAINTS = (
    "format", "pattern", "default", "const",
    "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "minItems", "maxItems", "uniqueItems", "additionalProperties",
)  # fmt: skip

Spec = dict[str, Any]
Schema = dict[str, Any]


def resolve(spec: Spec, node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def ref_name(node: Any) -> str | None:
    if isinstance(node, dict) and "$ref" in node:
        return str(node["$ref"]).rsplit("/", 1)[-1]
    return None


def code(value: Any) -> str:
    return f"`{value}`"


def show(value: Any) -> str:
    """A keyword's value as the spec's JSON would spell it: `^[a-z]+$`, 100, true."""
    return code(value) if isinstance(value, str) else json.dumps(value)


def summarize(schema: Any) -> str:
    """A schema in a few words: `User`, string (uuid), list of `Post`, one of `a`, `b`."""
    if not isinstance(schema, dict):
        return "any value"
    if name := ref_name(schema):
        return code(name)
    if "enum" in schema:
        return "one of " + ", ".join(code(v) for v in schema["enum"])
    types = schema.get("type", "any")
    types = types if isinstance(types, list) else [types]
    words = []
    for kind in types:
        if kind == "array":
            words.append(f"list of {summarize(schema.get('items'))}")
        elif kind in ("string", "integer", "number") and "format" in schema:
            words.append(f"{kind} ({schema['format']})")
        else:
            words.append(str(kind))
    for combinator in ("allOf", "oneOf", "anyOf"):
        if combinator in schema:
            words.append(f"{combinator} " + ", ".join(summarize(s) for s in schema[combinator]))
    return " or ".join(words)


def schema_changes(old: Any, new: Any) -> list[str]:
    """How one schema changed, as short phrases (empty when only wording changed)."""
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    phrases = []
    if "enum" in old and "enum" in new:
        added = [v for v in new["enum"] if v not in old["enum"]]
        dropped = [v for v in old["enum"] if v not in new["enum"]]
        if added:
            phrases.append("allows " + ", ".join(code(v) for v in added))
        if dropped:
            phrases.append("no longer allows " + ", ".join(code(v) for v in dropped))
    elif summarize(old) != summarize(new):
        return [f"{summarize(old)} → {summarize(new)}"]
    for keyword in CONSTRAINTS:
        before, after = old.get(keyword), new.get(keyword)
        if before == after:
            continue
        if before is None:
            phrases.append(f"{keyword} {show(after)} added")
        elif after is None:
            phrases.append(f"{keyword} {show(before)} removed")
        else:
            phrases.append(f"{keyword} {show(before)} → {show(after)}")
    if old.get("deprecated") != new.get("deprecated"):
        phrases.append("deprecated" if new.get("deprecated") else "no longer deprecated")
    return phrases


def field_changes(old: Schema, new: Schema, prefix: str = "") -> list[str]:
    """Per-field changes of two object schemas; inline nested objects are walked as `a.b`."""
    lines = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
    for name in sorted(old_props.keys() | new_props.keys()):
        label = code(prefix + name)
        if name not in old_props:
            need = "required" if name in new_required else "optional"
            lines.append(f"new {need} field {label}: {summarize(new_props[name])}")
        elif name not in new_props:
            lines.append(f"field {label} removed")
        else:
            phrases = []
            if (name in old_required) != (name in new_required):
                phrases.append("now required" if name in new_required else "now optional")
            before, after = old_props[name], new_props[name]
            if "properties" in before and "properties" in after:
                lines.extend(field_changes(before, after, f"{prefix}{name}."))
            else:
                phrases.extend(schema_changes(before, after))
            if phrases:
                lines.append(f"field {label}: " + "; ".join(phrases))
    return lines


def operations(spec: Spec) -> dict[tuple[str, str], tuple[Any, Any]]:
    """(path, METHOD) -> (path item, operation)."""
    return {
        (path, method.upper()): (item, item[method])
        for path, item in spec.get("paths", {}).items()
        for method in METHODS
        if method in item
    }


def parameters(spec: Spec, item: Any, operation: Any) -> dict[tuple[str, str], Any]:
    found = {}
    for raw in [*item.get("parameters", []), *operation.get("parameters", [])]:
        parameter = resolve(spec, raw)
        found[(parameter["in"], parameter["name"])] = parameter
    return found


def body_summary(spec: Spec, holder: Any) -> str:
    content = resolve(spec, holder).get("content", {})
    return ", ".join(f"{summarize(m.get('schema'))} as {t}" for t, m in sorted(content.items()))


def is_public(spec: Spec, operation: Any) -> bool:
    """No security requirement, or an empty one (`{}`) among the alternatives."""
    requirements = operation.get("security", spec.get("security", []))
    return requirements == [] or {} in requirements


def operation_changes(
    old_spec: Spec, new_spec: Spec, old: tuple[Any, Any], new: tuple[Any, Any]
) -> list[str]:
    (old_item, old_op), (new_item, new_op) = old, new
    lines = []
    old_params = parameters(old_spec, old_item, old_op)
    new_params = parameters(new_spec, new_item, new_op)
    for key in sorted(old_params.keys() | new_params.keys()):
        where, name = key
        label = f"{where} parameter {code(name)}"
        if key not in old_params:
            need = "required" if new_params[key].get("required") else "optional"
            lines.append(f"new {need} {label}: {summarize(new_params[key].get('schema'))}")
        elif key not in new_params:
            lines.append(f"{label} removed")
        else:
            before, after = old_params[key], new_params[key]
            phrases = schema_changes(
                resolve(old_spec, before.get("schema")), resolve(new_spec, after.get("schema"))
            )
            if bool(before.get("required")) != bool(after.get("required")):
                phrases.insert(0, "now required" if after.get("required") else "now optional")
            if phrases:
                lines.append(f"{label}: " + "; ".join(phrases))
    old_body, new_body = old_op.get("requestBody"), new_op.get("requestBody")
    if old_body is None and new_body is not None:
        lines.append(f"new request body: {body_summary(new_spec, new_body)}")
    elif old_body is not None and new_body is None:
        lines.append("request body removed")
    elif old_body is not None and new_body is not None:
        before, after = body_summary(old_spec, old_body), body_summary(new_spec, new_body)
        if before != after:
            lines.append(f"request body: {before} → {after}")
        if bool(resolve(old_spec, old_body).get("required")) != bool(
            resolve(new_spec, new_body).get("required")
        ):
            required = resolve(new_spec, new_body).get("required")
            lines.append("request body now " + ("required" if required else "optional"))
    old_responses, new_responses = old_op.get("responses", {}), new_op.get("responses", {})
    for status in sorted(old_responses.keys() | new_responses.keys()):
        if status not in old_responses:
            described = body_summary(new_spec, new_responses[status]) or "no body"
            lines.append(f"new response {status}: {described}")
        elif status not in new_responses:
            lines.append(f"response {status} removed")
        else:
            before = body_summary(old_spec, old_responses[status])
            after = body_summary(new_spec, new_responses[status])
            if before != after:
                lines.append(f"response {status}: {before or 'no body'} → {after or 'no body'}")
    if is_public(old_spec, old_op) != is_public(new_spec, new_op):
        lines.append("now public" if is_public(new_spec, new_op) else "now requires a login")
    return lines


def deprecation_note(operation: Any) -> str:
    dates = []
    if "x-deprecated-at" in operation:
        dates.append(f"deprecated since {operation['x-deprecated-at']}")
    if "x-sunset" in operation:
        dates.append(f"removed after {operation['x-sunset']}")
    return f" ({', '.join(dates)})" if dates else ""


def describe_operation(key: tuple[str, str], operation: Any) -> str:
    path, method = key
    return (
        f"`{method} {path}` ({code(operation.get('operationId'))}): {operation.get('summary', '')}"
    )


def operation_section(old: Spec, new: Spec) -> list[str]:
    old_ops, new_ops = operations(old), operations(new)
    lines = []
    for key in sorted(new_ops.keys() - old_ops.keys()):
        lines.append(f"- **Added** {describe_operation(key, new_ops[key][1])}")
    for key in sorted(new_ops.keys() & old_ops.keys()):
        operation = new_ops[key][1]
        if operation.get("deprecated") and not old_ops[key][1].get("deprecated"):
            note = deprecation_note(operation)
            lines.append(f"- **Deprecated** {describe_operation(key, operation)}{note}")
        changes = operation_changes(old, new, old_ops[key], new_ops[key])
        if changes:
            lines.append(f"- **Changed** {describe_operation(key, operation)}")
            lines.extend(f"  - {change}" for change in changes)
    for key in sorted(old_ops.keys() - new_ops.keys()):
        lines.append(f"- **Removed** {describe_operation(key, old_ops[key][1])}")
    return lines


def schema_section(old: Spec, new: Spec) -> list[str]:
    old_schemas = old.get("components", {}).get("schemas", {})
    new_schemas = new.get("components", {}).get("schemas", {})
    lines = []
    for name in sorted(new_schemas.keys() - old_schemas.keys()):
        schema = new_schemas[name]
        fields = ", ".join(code(field) for field in schema.get("properties", {}))
        lines.append(
            f"- **Added** {code(name)}: " + (f"fields {fields}" if fields else summarize(schema))
        )
    for name in sorted(new_schemas.keys() & old_schemas.keys()):
        before, after = old_schemas[name], new_schemas[name]
        changes = field_changes(before, after)
        if "properties" not in before or "properties" not in after:
            changes = schema_changes(before, after) + changes
        if changes:
            lines.append(f"- **Changed** {code(name)}")
            lines.extend(f"  - {change}" for change in changes)
    for name in sorted(old_schemas.keys() - new_schemas.keys()):
        lines.append(f"- **Removed** {code(name)}")
    return lines


def section(old: Spec, new: Spec, heading: str) -> tuple[str, bool]:
    """The Markdown for baseline -> working under `heading`, and whether anything changed."""
    ops, schemas = operation_section(old, new), schema_section(old, new)
    parts = [heading, ""]
    if ops:
        parts += ["### Operations", "", *ops, ""]
    if schemas:
        parts += ["### Schemas", "", *schemas, ""]
    if not ops and not schemas:
        parts += ["No changes to operations or schemas.", ""]
    return "\n".join(parts).rstrip(), bool(ops or schemas)


def version_key(version: str) -> tuple[int, ...]:
    match = re.match(r"^(\d+)\.(\d+)\.(\d+)", version)
    if not match:
        raise SystemExit(f"info.version {version!r} is not semver")
    return tuple(int(part) for part in match.groups())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", action="store_true", help="freeze it under info.version")
    args = parser.parse_args()
    old = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    new = yaml.safe_load(WORKING.read_text(encoding="utf-8"))
    released, working = str(old["info"]["version"]), str(new["info"]["version"])
    head, rest = CHANGELOG.read_text(encoding="utf-8").split(START, 1)
    unreleased, tail = rest.split(END, 1)
    if args.release:
        # The Unreleased section is rewritten once the baseline is the working spec.
        if version_key(working) <= version_key(released):
            print(f"info.version is {working}: bump it past the released {released} first.")
            return 1
        frozen, _ = section(old, new, f"## {working}")
        tail = f"\n\n{frozen}{tail}"
    else:
        unreleased, changed = section(old, new, f"## Unreleased ({released} → {working})")
        if changed and working == released:
            unreleased += f"\n\n`info.version` is still {released}: bump it before releasing."
        unreleased = f"\n{unreleased}\n"
    CHANGELOG.write_text(f"{head}{START}{unreleased}{END}{tail}", encoding="utf-8")
    print(f"Wrote {CHANGELOG.relative_to(OPENAPI.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
