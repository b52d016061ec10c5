"""The core writes no platform markup and escapes nothing: both are the Discord renderer's job (bot.discord_render)."""

import ast
import re
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "bot" / "core"

# Discord's markup: timestamps, mentions, bold, strike, code blocks, subtext, spoilers, masked links.
MARKUP = re.compile(r"<t:|<@|<#|\*\*|~~|```|-# |\|\||\]\((?:https?:|<|$)")
# Files the core writes for people to open outside a chat: their own formats, escaped for that format.
FILE_FORMATS = {"flash/export.py": "the Flash Report as a Markdown or HTML file"}
ESCAPING = {"sanitise_inline", "sanitise_block", "escape_fragment", "discord_timestamp", "safe_url"}


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _patterns(tree: ast.AST) -> set[int]:
    """Return the string constants given to the re module (patterns that read input, not text shown)."""
    found = set()
    for node in ast.walk(tree):
        func = node.func if isinstance(node, ast.Call) else None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "re":
            found.update(id(n) for arg in node.args for n in ast.walk(arg) if isinstance(n, ast.Constant))
    return found


def markup_in(source: str) -> list[tuple[int, str]]:
    """Return (line, text) of each string constant in source that holds Discord markup."""
    tree = ast.parse(source)
    skipped = _docstrings(tree) | _patterns(tree)
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skipped
        and MARKUP.search(node.value)
    ]


def escaping_used(source: str) -> list[str]:
    """Return the Discord renderer's functions that source imports, and escaping functions it defines."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bot.discord"):
            found.append(f"from {node.module} import …")
        elif isinstance(node, ast.ImportFrom):
            found += [f"import {alias.name}" for alias in node.names if alias.name in ESCAPING]
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.startswith("bot.discord")]
        elif isinstance(node, ast.FunctionDef) and node.name in ESCAPING:
            found.append(f"def {node.name}")
    return found


def test_no_core_module_writes_discord_markup() -> None:
    """String literals in bot/core hold no <t:…>, <@…>, <#…>, **, ~~, ``` , -#, || or masked links."""
    offenders = {}
    for path in sorted(CORE.rglob("*.py")):
        name = path.relative_to(CORE).as_posix()
        if name in FILE_FORMATS:
            continue
        found = markup_in(path.read_text())
        if found:
            offenders[name] = found
    assert offenders == {}


def test_no_core_module_escapes_for_discord() -> None:
    """Nothing in bot/core imports the Discord renderer or defines an escaping function of its own."""
    offenders = {}
    for path in sorted(CORE.rglob("*.py")):
        found = escaping_used(path.read_text())
        if found:
            offenders[path.relative_to(CORE).as_posix()] = found
    assert offenders == {}


def test_the_scan_finds_markup_and_escaping() -> None:
    """The checks catch what they look for (a timestamp in an f-string, bold, a mention, the renderer imported)."""
    source = (
        '"""Doc with **bold** is fine."""\n'
        "import re\n"
        "PATTERN = re.compile(r'<#(\\d+)>')\n"
        "def f(when, user):\n"
        "    return f'Due <t:{when}:F> for <@{user}>' + '**late**' + f'[{user}]({when})'\n"
    )
    assert [line for line, _ in markup_in(source)] == [5, 5, 5, 5]
    assert escaping_used(
        "from bot.discord_render import render\nfrom bot.core.text import sanitise_block\ndef sanitise_inline(x): ..."
    ) == ["from bot.discord_render import …", "import sanitise_block", "def sanitise_inline"]
