"""Every hook of the plugin contract is documented in ``docs/hooks.md`` and has a test.

Documented: a ``## `name` `` section whose code block holds the hook's exact signature and
which states whether the hook is first-result. Tested: some ``tests/test_*.py`` module calls the
hook through pluggy's hook relay as core does (``manager.hook.<name>(``, possibly wrapped onto
the next line).
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from etl_core.contract import hookspecs

REPO = Path(__file__).resolve().parents[1]
HOOKS_DOC = REPO / "docs" / "hooks.md"


def hook_names() -> list[str]:
    return sorted(
        name
        for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(function, "etl_core_spec")
    )


def signature_line(name: str) -> str:
    """``def etl_validate(batch: Batch, spec: RecordTypeSpec) -> Sequence[Finding] | None``
    (annotations are strings because hookspecs uses postponed evaluation)."""
    signature = inspect.signature(getattr(hookspecs, name))
    parameters = ", ".join(f"{p.name}: {p.annotation}" for p in signature.parameters.values())
    return f"def {name}({parameters}) -> {signature.return_annotation}"


def doc_section(name: str) -> str:
    text = HOOKS_DOC.read_text(encoding="utf-8")
    match = re.search(rf"^## `{name}`\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"docs/hooks.md has no '## `{name}`' section"
    return match.group(1)


def test_there_are_hooks_to_check() -> None:
    assert {"etl_record_types", "etl_validate", "etl_process", "etl_emit"} <= set(hook_names())


@pytest.mark.parametrize("name", hook_names())
def test_hook_is_documented_with_its_signature_and_result_mode(name: str) -> None:
    section = doc_section(name)
    assert signature_line(name) in section, f"docs/hooks.md: {name} signature out of date"
    first_result = getattr(hookspecs, name).etl_core_spec["firstresult"]
    if first_result:
        assert "**first result**" in section
    else:
        assert "all collected" in section and "first result**" not in section
    assert "```python\n" in section.split("\n```\n", 1)[1], f"{name}: give an example"


@pytest.mark.parametrize("name", hook_names())
def test_hook_has_a_test_that_calls_it(name: str) -> None:
    call = re.compile(rf"\.hook\.{name}\(")
    callers = [
        path.name
        for path in sorted((REPO / "tests").rglob("test_*.py"))
        if call.search(re.sub(r"\s+", "", path.read_text(encoding="utf-8")))
    ]
    assert callers, f"no test under tests/ calls manager.hook.{name}(...)"
