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


SHELL = Path(__file__).resolve().parents[1] / "bot" / "shell"
DISCORD_SIDE = ("discord", "aiohttp", "cogs", "bot.client", "bot.discord_ports", "bot.endpoints")


def _full_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_shell_adapter_never_imports_discord_or_the_discord_adapter() -> None:
    """No module under bot/shell imports discord, aiohttp, the cogs or the Discord-side bot modules."""
    files = sorted(SHELL.rglob("*.py"))
    assert files, "bot/shell has no modules"
    offenders = {
        str(path.relative_to(SHELL)): sorted(
            name for name in _full_imports(path) if any(name == s or name.startswith(s + ".") for s in DISCORD_SIDE)
        )
        for path in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_starting_the_shell_loads_no_discord_module() -> None:
    """Importing the CLI and everything `blether shell` runs leaves discord (and aiohttp) unloaded."""
    import subprocess
    import sys

    modules = [f"bot.shell.{p.stem}" for p in SHELL.glob("*.py") if p.stem != "__init__"]
    code = (
        "import sys, importlib\n"
        f"for name in {['bot.cli', 'bot.app', 'bot.shell.features', *modules]!r}: importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('discord', 'aiohttp', 'cogs'))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=SHELL.parents[1], check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"the shell loaded: {result.stdout.strip()}"
