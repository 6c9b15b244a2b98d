"""The docs against the code: README.md's configuration reference against config.py's
table of keys, its "Layout of the code" against the modules in sitegen/, and
templates/README.md against the files of the default theme.

A key, module or template added without its line in the docs fails here, and so does
one the docs still describe after it is gone. Each failure says what is missing where.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from sitegen.config import SITE_SCHEMA, TOPIC_SCHEMA, Key

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
THEME = ROOT / "templates"
THEME_README = THEME / "README.md"
LAYOUT = "Layout of the code"


def section(path: Path, heading: str) -> str:
    """The text under the Markdown heading `heading` in `path`, up to the next heading (outside code blocks)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next((n for n, line in enumerate(lines) if re.fullmatch(rf"#+ {re.escape(heading)}", line)), None)
    assert start is not None, f"{path.relative_to(ROOT)} has no heading '{heading}'"
    body, fenced = [], False
    for line in lines[start + 1 :]:
        fenced ^= line.startswith("```")
        if not fenced and line.startswith("#"):
            break
        body.append(line)
    return "\n".join(body)


def table(path: Path, heading: str) -> dict[str, dict[str, str]]:
    """The rows of the first table under `heading`, by their first cell (backticks off), each as {column: cell}."""
    rows_text = [line for line in section(path, heading).splitlines() if line.startswith("|")]
    assert len(rows_text) >= 2, f"{path.relative_to(ROOT)} has no table under '{heading}'"
    header = [cell.strip() for cell in rows_text[0].strip("|").split("|")]
    rows: dict[str, dict[str, str]] = {}
    for line in rows_text[2:]:
        cells = dict(zip(header, (cell.strip() for cell in line.strip("|").split("|")), strict=True))
        name = cells[header[0]].strip("`")
        assert name not in rows, f"{path.relative_to(ROOT)}, table under '{heading}': '{name}' has two rows"
        rows[name] = cells
    return rows


def missing_and_extra(documented: set[str], actual: set[str], prefix: str = "") -> tuple[str, str]:
    """What the docs lack, and what they have that is not there, each as one phrase ("" for nothing)."""
    return names(actual - documented, prefix), names(documented - actual, prefix)


def names(items: set[str] | list[str], prefix: str = "") -> str:
    return ", ".join(f"{prefix}{item}" for item in sorted(items))


# ---------- README.md: the configuration reference ----------


@pytest.mark.parametrize(
    ("heading", "schema", "name"),
    [
        ("site.yaml", SITE_SCHEMA, "SITE_SCHEMA"),
        ("A topic (an item of `topics`)", TOPIC_SCHEMA, "TOPIC_SCHEMA"),
    ],
)
def test_the_configuration_reference_documents_exactly_the_keys_of_the_schema(
    heading: str, schema: tuple[Key, ...], name: str
) -> None:
    rows = table(README, heading)
    where = f"README.md, the table under '### {heading}'"
    missing, extra = missing_and_extra(set(rows), {key.name for key in schema})
    assert not missing, f"{where} has no row for {missing}, which sitegen/config.py's {name} accepts"
    assert not extra, f"{where} documents {extra}, which sitegen/config.py's {name} does not have"
    for key in schema:
        kind, default = rows[key.name]["type"], rows[key.name]["default"]
        assert kind == key.kind, f"{where} gives '{key.name}' the type {kind!r}; {name} says {key.kind!r}"
        assert (default == "required") == key.required, (
            f"{where} gives '{key.name}' the default {default!r}, but in {name} it is "
            + ("required" if key.required else "optional")
        )


# ---------- README.md: the layout of the code ----------


def modules() -> set[str]:
    """The modules in sitegen/ and its subpackages, by their path in it."""
    return {path.relative_to(ROOT / "sitegen").as_posix() for path in (ROOT / "sitegen").rglob("*.py")}


def layout_lines() -> dict[str, str]:
    """The section's list, `- `name.py`: what it does`, as {name.py: what it does}."""
    lines: dict[str, str] = {}
    for name, what in re.findall(r"^- `([^`]+)`: *(.*)$", section(README, LAYOUT), re.MULTILINE):
        assert name not in lines, f"README.md's '{LAYOUT}' describes {name} twice"
        lines[name] = what.strip()
    return lines


def test_the_layout_of_the_code_describes_every_module_and_no_other() -> None:
    described = layout_lines()
    missing, extra = missing_and_extra(set(described), modules(), "sitegen/")
    assert not missing, f"README.md's '{LAYOUT}' has no line '- `name.py`: what it does' for {missing}"
    assert not extra, f"README.md's '{LAYOUT}' describes {extra}, which does not exist"
    empty = names([name for name, what in described.items() if not what])
    assert not empty, f"README.md's '{LAYOUT}' does not say what {empty} do"


def test_the_layout_of_the_code_names_only_what_exists() -> None:
    """The stages its prose chains are modules; a `module.name` is defined there; a tests/ or docs/ file exists."""
    text = section(README, LAYOUT)
    where = f"README.md's '{LAYOUT}'"
    prose = "\n".join(line for line in text.splitlines() if not line.startswith("- "))
    for stage in {name for pair in re.findall(r"`(\w+)` →|→ `(\w+)`", prose) for name in pair if name}:
        assert f"{stage}.py" in modules(), f"{where} names the stage `{stage}`, but sitegen/ has no {stage}.py"
    for module, name in re.findall(r"`(\w+)\.(\w+)(?:\(\))?`", text):
        if name in {"py", "md", "yaml", "html", "js", "css", "txt", "json"}:
            continue  # a file's name, not a module's
        path = ROOT / "sitegen" / f"{module}.py"
        assert path.is_file(), f"{where} names `{module}.{name}`, but sitegen/ has no {module}.py"
        assert name in top_level_names(path), f"{where} names `{module}.{name}`, but {module}.py defines no {name}"
    for path in re.findall(r"`((?:tests|docs)/[\w/.-]+\.py)`", text):
        assert (ROOT / path).is_file(), f"{where} names {path}, which does not exist"


def top_level_names(path: Path) -> set[str]:
    """What a module defines at its top level (read, not imported: no module of sitegen runs)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(target.id for target in targets if isinstance(target, ast.Name))
    return names


# ---------- templates/README.md: the default theme ----------


def theme_files() -> set[str]:
    """Every file of the default theme, as a path inside templates/ (its README aside)."""
    return {
        path.relative_to(THEME).as_posix()
        for path in THEME.rglob("*")
        if path.is_file() and path != THEME_README and "__pycache__" not in path.parts
    }


def test_the_theme_readme_describes_every_template_and_asset_and_no_other() -> None:
    rows = table(THEME_README, "The default theme")
    missing, extra = missing_and_extra(set(rows), theme_files(), "templates/")
    assert not missing, f"templates/README.md's table has no row for {missing}"
    assert not extra, f"templates/README.md's table describes {extra}, which does not exist"
    empty = names([name for name, cells in rows.items() if not cells["page"]])
    assert not empty, f"templates/README.md's table does not say what {empty} make"
