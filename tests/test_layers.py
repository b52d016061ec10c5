"""The layers stay apart: the core is platform-free, and cogs reach storage only through the core's services."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "bot" / "core"
COGS = ROOT / "cogs"
ADAPTER_MODULES = {"bot.client", "bot.discord_ports"}


def _imports(path: Path) -> set[str]:
    """Return every module a file imports, in full (``from a.b import c`` gives a.b and a.b.c)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _offenders(root: Path, forbidden: set[str]) -> dict[str, list[str]]:
    """Map each file under root (by its path from root) to the forbidden modules or submodules it imports."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        bad = sorted(name for name in _imports(path) if any(name == f or name.startswith(f + ".") for f in forbidden))
        if bad:
            found[str(path.relative_to(root))] = bad
    return found


def test_core_never_imports_discord_or_the_adapters() -> None:
    """No module under bot/core imports discord, aiohttp, cogs, bot.client or bot.discord_ports."""
    assert list(CORE.rglob("*.py")), "bot/core has no modules"
    assert _offenders(CORE, {"discord", "aiohttp", "cogs", *ADAPTER_MODULES}) == {}


def test_cogs_never_reach_storage() -> None:
    """No cog imports SQLAlchemy or bot.core.storage: they call services, which own the transactions."""
    assert list(COGS.rglob("*.py")), "cogs has no modules"
    assert _offenders(COGS, {"sqlalchemy", "bot.core.storage"}) == {}


def test_the_layer_check_sees_what_it_forbids(tmp_path: Path) -> None:
    """Each kind of forbidden import is caught, and a module that only shares a prefix is not."""
    (tmp_path / "a.py").write_text("import discord.ui\nfrom bot.client import BletherBot\n")
    (tmp_path / "b.py").write_text("from bot.core.storage.database import Database\nfrom sqlalchemy import select\n")
    (tmp_path / "c.py").write_text("from bot.core.clock import Clock\nfrom bot.client_helpers import x\n")
    (tmp_path / "d.py").write_text("from bot.core import storage\nfrom bot import discord_ports\n")
    found = _offenders(tmp_path, {"discord", "sqlalchemy", "bot.core.storage", *ADAPTER_MODULES})
    assert found == {
        "a.py": ["bot.client", "bot.client.BletherBot", "discord.ui"],
        "b.py": ["bot.core.storage.database", "bot.core.storage.database.Database", "sqlalchemy", "sqlalchemy.select"],
        "d.py": ["bot.core.storage", "bot.discord_ports"],
    }


def test_the_matrix_adapter_imports_no_discord() -> None:
    """bot/matrix is a platform adapter of its own: it imports neither discord nor the Discord adapter or cogs."""
    matrix = ROOT / "bot" / "matrix"
    assert list(matrix.rglob("*.py")), "bot/matrix has no modules"
    assert _offenders(matrix, {"discord", "cogs", "bot.endpoints", "bot.discord_render", *ADAPTER_MODULES}) == {}


def test_starting_on_matrix_loads_no_discord_module() -> None:
    """Importing the CLI and every Matrix module leaves discord and the cogs unloaded."""
    import subprocess
    import sys

    pytest.importorskip("mautrix")
    modules = [f"bot.matrix.{p.stem}" for p in (ROOT / "bot" / "matrix").glob("*.py") if p.stem != "__init__"]
    code = (
        "import sys, importlib\n"
        f"for name in {['bot.cli', 'bot.app', *modules]!r}: importlib.import_module(name)\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('discord', 'cogs'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"the Matrix adapter loaded: {result.stdout.strip()}"


SHELL = ROOT / "bot" / "shell"


def test_the_shell_adapter_never_imports_discord_or_the_discord_adapter() -> None:
    """No module under bot/shell imports discord, aiohttp, the cogs or the Discord-side bot modules."""
    assert list(SHELL.rglob("*.py")), "bot/shell has no modules"
    forbidden = {"discord", "aiohttp", "cogs", "bot.endpoints", "bot.discord_render", *ADAPTER_MODULES}
    assert _offenders(SHELL, forbidden) == {}


def test_starting_the_shell_loads_no_discord_module() -> None:
    """Importing the CLI and everything `blether shell` runs leaves discord, aiohttp and the cogs unloaded."""
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
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"the shell loaded: {result.stdout.strip()}"
