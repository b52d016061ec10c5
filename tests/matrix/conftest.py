"""Matrix fixtures: one real Synapse per test session (skipped when the matrix-test extra is missing)."""

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.matrix.synapse import MatrixUser, Synapse, synapse_installed

_names = itertools.count(1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/matrix as `matrix` (run them alone with `pytest -m matrix`)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.matrix)


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synapse]:
    """Start one Synapse on loopback for the whole session and stop it afterwards."""
    if not synapse_installed():
        pytest.skip("Synapse is not installed: pip install -e '.[matrix,matrix-test]'")
    server = Synapse(tmp_path_factory.mktemp("synapse"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def synapse_admin(synapse: Synapse) -> MatrixUser:
    """Return a Synapse admin account (for rate-limit overrides)."""
    return synapse.register("admin", admin=True)


@pytest.fixture
def register(synapse: Synapse) -> Callable[[str], MatrixUser]:
    """Return a function registering a fresh user whose localpart starts with the given name."""

    def make(name: str) -> MatrixUser:
        return synapse.register(f"{name}{next(_names)}")

    return make
