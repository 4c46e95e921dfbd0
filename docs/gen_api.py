"""Write ``docs/api.md``: the reference of everything a plugin author imports from etl-core,
generated from the docstrings so that it cannot drift from the code.

Run ``python docs/gen_api.py`` after changing a documented docstring or signature;
``tests/test_api_docs.py`` fails while ``docs/api.md`` is stale.
"""

from __future__ import annotations

import ast
import dataclasses
import enum
import importlib
import inspect
import itertools
import re
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

API_DOC = Path(__file__).resolve().parent / "api.md"

SECTIONS: list[tuple[str, str, list[str] | None]] = [
    (
        "etl_core",
        "The decorator, the plugin-API version and the values hooks receive and return.",
        [
            "hookimpl",
            "PLUGIN_API_VERSION",
            "RecordTypeSpec",
            "ValueRange",
            "Batch",
            "Record",
            "UserContext",
            "SourceRef",
            "Finding",
            "Dimension",
            "Severity",
            "ValidationReport",
            "ProcessResult",
            "PluginCounter",
            "ProcessedBatch",
            "Artifact",
            "Chart",
            "Window",
            "WindowRule",
            "MONDAY",
            "TUESDAY",
            "WEDNESDAY",
            "THURSDAY",
            "FRIDAY",
            "SATURDAY",
            "SUNDAY",
            "ExampleKind",
            "ExampleText",
            "choose",
            "ClockSource",
            "EnvSettings",
            "setting",
            "InvalidSettings",
        ],
    ),
    ("etl_core.contract.timeutil", "", None),
    ("etl_core.contract.memo", "", None),
    ("etl_core.contract.figures", "", None),
    ("etl_core.contract.schemas", "", None),
    ("etl_core.review.svg", "", None),
    ("etl_core.engine.spec_checks", "", ["HEALTH_CONNECT_LIMITS"]),
    ("etl_core.testing", "", None),
]

_ROLE = re.compile(r":(?:func|class|data|meth|mod|attr|exc):`(~?)([\w.]+)(\(\))?`")


def _role(match: re.Match[str]) -> str:
    target = match.group(2)
    return f"`{target.rsplit('.', 1)[-1] if match.group(1) else target}`"


def markdown(doc: str) -> str:
    """reST-flavoured docstring text as Markdown: roles and double backticks become code,
    ``::`` blocks become fenced code, ``:param x:`` becomes a list item."""
    text = _ROLE.sub(_role, doc)
    text = re.sub(r"``(.+?)``", r"`\1`", text, flags=re.DOTALL)
    text = re.sub(r"^:param (\w+):", r"- `\1`:", text, flags=re.MULTILINE)
    text = re.sub(r"^:returns:", "Returns:", text, flags=re.MULTILINE)
    lines = text.splitlines()
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.rstrip().endswith("::"):
            out.append(line.rstrip()[:-1])
            index += 1
            block: list[str] = []
            while index < len(lines) and (not lines[index].strip() or lines[index][:1] == " "):
                block.append(lines[index])
                index += 1
            out += ["", "```python", textwrap.dedent("\n".join(block)).strip("\n"), "```", ""]
            continue
        out.append(line)
        index += 1
    return "\n".join(out).strip()


def attribute_docs(node: ast.AST) -> dict[str, str]:
    """``name = value`` (or ``name: type = value``) followed by a string literal: the
    string, by name."""
    docs: dict[str, str] = {}
    body = getattr(node, "body", [])
    for statement, following in itertools.pairwise(body):
        if not (
            isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            continue
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            docs[statement.target.id] = inspect.cleandoc(following.value.value)
        elif isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    docs[target.id] = inspect.cleandoc(following.value.value)
    return docs


def module_tree(module: ModuleType) -> ast.Module:
    return ast.parse(inspect.getsource(module))


def class_tree(cls: type) -> ast.ClassDef:
    tree = module_tree(sys.modules[cls.__module__])
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == cls.__name__:
            return node
    raise LookupError(cls)


def signature(obj: Any, name: str) -> str:
    """``name(a: int, b: str = 'x') -> bool`` with annotations as written in the source."""
    try:
        found = inspect.signature(obj)
    except (TypeError, ValueError):
        return f"{name}(...)"
    parts: list[str] = []
    keyword_only_marked = False
    for parameter in found.parameters.values():
        text = parameter.name
        if parameter.kind is parameter.VAR_POSITIONAL:
            text = f"*{text}"
            keyword_only_marked = True
        elif parameter.kind is parameter.VAR_KEYWORD:
            text = f"**{text}"
        elif parameter.kind is parameter.KEYWORD_ONLY and not keyword_only_marked:
            parts.append("*")
            keyword_only_marked = True
        if parameter.annotation is not parameter.empty:
            text += f": {parameter.annotation}"
        if parameter.default is not parameter.empty:
            text += f" = {parameter.default!r}"
        parts.append(text)
    returns = found.return_annotation
    arrow = "" if returns is found.empty else f" -> {returns}"
    return f"{name}({', '.join(parts)}){arrow}"


def render_function(name: str, function: Any, level: str = "###") -> list[str]:
    prefix = "async def" if inspect.iscoroutinefunction(function) else "def"
    lines = [f"{level} `{name}`", "", "```python", f"{prefix} {signature(function, name)}", "```"]
    doc = inspect.getdoc(function)
    if doc:
        lines += ["", markdown(doc)]
    return [*lines, ""]


def _field_line(field: dataclasses.Field[Any], doc: str | None) -> str:
    default = ""
    if field.default is not dataclasses.MISSING:
        default = f" = {field.default!r}"
    elif field.default_factory is not dataclasses.MISSING:
        default = f" = {field.default_factory.__name__}()"
    text = f"- `{field.name}: {field.type}{default}`"
    if doc:
        text += ": " + markdown(doc).replace("\n", " ")
    return text


def render_class(name: str, cls: type) -> list[str]:
    lines = [f"### `{name}`", ""]
    doc = inspect.getdoc(cls)
    if doc and doc != inspect.getdoc(cls.__mro__[1]):
        lines += [markdown(doc), ""]
    docs = attribute_docs(class_tree(cls))
    if issubclass(cls, enum.Enum):
        for member in cls:
            member_doc = docs.get(member.name)
            text = f"- `{member.name}` = `{member.value!r}`"
            lines.append(text + (": " + markdown(member_doc) if member_doc else ""))
        return [*lines, ""]
    if dataclasses.is_dataclass(cls):
        lines += [_field_line(f, docs.get(f.name)) for f in dataclasses.fields(cls)]
        lines.append("")
    elif "__init__" in vars(cls):
        # How to make one: a plain class's constructor is not in its fields.
        lines += ["```python", signature(cls, name).removesuffix(" -> None"), "```", ""]
    for attribute, value in vars(cls).items():
        if attribute.startswith("_") or attribute in {f.name for f in _fields(cls)}:
            continue
        if isinstance(value, property):
            property_doc = inspect.getdoc(value)
            text = f"- property `{attribute}`"
            lines.append(text + (": " + markdown(property_doc) if property_doc else ""))
        elif isinstance(value, classmethod | staticmethod):
            # Alternative constructors (``WindowRule.day()``): shown without ``cls``.
            lines += ["", *render_function(f"{name}.{attribute}", getattr(cls, attribute), "####")]
        elif callable(value) and not attribute.startswith("test_"):
            lines += ["", *render_function(f"{name}.{attribute}", value, "####")]
    tests = [(a, v) for a, v in vars(cls).items() if a.startswith("test_") and callable(v)]
    if tests:
        lines += ["", "#### The rules it checks", ""]
        for attribute, value in tests:
            rule = markdown(inspect.getdoc(value) or "").replace("\n", " ")
            lines.append(f"- `{attribute}`: {rule}")
    if not dataclasses.is_dataclass(cls):
        class_vars = {a: d for a, d in docs.items() if a in getattr(cls, "__annotations__", {})}
        if class_vars:
            lines += ["", "#### Attributes to set", ""]
            for attribute, attribute_doc in class_vars.items():
                annotation = cls.__annotations__[attribute]
                default = getattr(cls, attribute, None)
                shown = f" = {default!r}" if default is not None else ""
                lines.append(
                    f"- `{attribute}: {annotation}{shown}`: "
                    + markdown(attribute_doc).replace("\n", " ")
                )
    return [*lines, ""]


def _fields(cls: type) -> tuple[dataclasses.Field[Any], ...]:
    return dataclasses.fields(cls) if dataclasses.is_dataclass(cls) else ()


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def render_constant(name: str, value: Any, doc: str | None) -> list[str]:
    lines = [f"### `{name}`", ""]
    if isinstance(value, dict) and name == "HEALTH_CONNECT_LIMITS":
        lines += [
            "| record type | field | accepted | source |",
            "|---|---|---|---|",
            *(
                f"| `{record_type}` | `{path}` | {_number(limit.low)}-{_number(limit.high)} "
                f"{limit.unit} | {limit.source} |"
                for (record_type, path), limit in value.items()
            ),
            "",
        ]
    elif isinstance(value, str | int | float | tuple):
        lines += [f"`{name} = {value!r}`", ""]
    if doc:
        lines += [markdown(doc), ""]
    return lines


def public_names(module: ModuleType) -> list[str]:
    exported = getattr(module, "__all__", None)
    if exported is not None:
        # In the order the module defines them (``__all__`` itself is kept sorted).
        source = inspect.getsource(module)

        def defined_at(name: str) -> int:
            found = re.search(rf"^(?:class |def |async def )?{re.escape(name)}\b", source, re.M)
            return found.start() if found else len(source)

        return sorted((n for n in exported if not n.startswith("_")), key=defined_at)
    return [
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and getattr(value, "__module__", None) == module.__name__
        and (inspect.isfunction(value) or inspect.isclass(value))
    ]


def render() -> str:
    out = [
        "# etl-core API for plugin authors",
        "",
        "<!-- Generated by docs/gen_api.py from the docstrings; edit those, then run "
        "`python docs/gen_api.py`. -->",
        "",
        "Everything a plugin imports from etl-core: `etl_core` (the decorator and the types), "
        "`etl_core.contract.timeutil`, `etl_core.contract.memo`, `etl_core.contract.figures`, "
        "`etl_core.contract.schemas`, `etl_core.review.svg` "
        "(charts for `etl review`) and, in tests, "
        "`etl_core.testing`. Anything else in etl-core may change without notice. "
        "`hooks.md` documents the hooks; `writing-plugins.md` walks through a new plugin.",
        "",
    ]
    for module_name, intro, names in SECTIONS:
        module = importlib.import_module(module_name)
        out += [f"## `{module_name}`", ""]
        module_doc = intro or markdown(inspect.getdoc(module) or "")
        out += [module_doc, ""]
        # Attribute docstrings of the section's module and of the modules it re-exports from.
        constant_docs: dict[str, str] = {}
        sources = [module_name, *sorted(m for m in sys.modules if m.startswith(module_name + "."))]
        if module_name == "etl_core":
            sources = ["etl_core", "etl_core.contract.model", "etl_core.contract.windows"]
        for source in sources:
            constant_docs.update(attribute_docs(module_tree(importlib.import_module(source))))
        for name in names if names is not None else public_names(module):
            value = getattr(module, name)
            if inspect.isclass(value):
                out += render_class(name, value)
            elif inspect.isfunction(inspect.unwrap(value)):
                out += render_function(name, inspect.unwrap(value))
            else:
                out += render_constant(name, value, constant_docs.get(name))
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).rstrip() + "\n"


def main() -> None:
    API_DOC.write_text(render(), encoding="utf-8")
    print(f"wrote {API_DOC}")  # a command-line script, not library code


if __name__ == "__main__":
    main()
