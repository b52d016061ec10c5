"""The core stays platform-free: nothing under bot/core imports discord."""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "bot" / "core"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_never_imports_discord_or_the_adapters() -> None:
    """No module under bot/core imports discord, cogs or the Discord-side bot modules."""
    files = sorted(CORE.rglob("*.py"))
    assert files, "bot/core has no modules"
    offenders = {str(path.relative_to(CORE)): sorted(_imports(path) & {"discord", "cogs", "aiohttp"}) for path in files}
    assert {k: v for k, v in offenders.items() if v} == {}
