"""Files Blether writes for its operator (backups, exports, reports, Flash Report exports): owner-only.

They hold personal data, so they never follow the process umask (often 022, which makes files anyone on the
machine can read): files are 0600 and the directories Blether creates for them 0700. Directories that already
exist are left as they are (they may be shared on purpose, e.g. the working directory).
"""

import os
import stat
from pathlib import Path

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def make_private_dir(path: str | Path) -> Path:
    """Create a directory and its missing parents with mode 0700; return it (existing ones are not changed)."""
    target = Path(path)
    missing: list[Path] = []
    current = target
    while not current.exists() and not current.is_symlink() and current != current.parent:
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, PRIVATE_DIR_MODE)
        except FileExistsError:  # made meanwhile by someone else: theirs, leave it
            continue
        os.chmod(directory, PRIVATE_DIR_MODE)  # the umask may have taken bits off (e.g. 0277)
    return target


def _open_private(path: Path, flags: int) -> int:
    make_private_dir(path.parent)
    fd = os.open(path, flags | os.O_WRONLY | os.O_CREAT, PRIVATE_FILE_MODE)
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):  # never chmod a device such as /dev/stdout
            os.fchmod(fd, PRIVATE_FILE_MODE)  # before any byte is written: an older file may have been 0644
    except BaseException:
        os.close(fd)
        raise
    return fd


def write_private_file(path: str | Path, data: bytes | str) -> Path:
    """Write data (str as UTF-8) to a file readable by its owner only (0600), replacing what it held; return it."""
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with os.fdopen(_open_private(target, os.O_TRUNC), "wb") as handle:
        handle.write(payload)
    return target


def create_private_file(path: str | Path) -> Path:
    """Create a new empty owner-only (0600) file for a tool to fill (e.g. SQLite's backup); FileExistsError if
    there is one already."""
    target = Path(path)
    os.close(_open_private(target, os.O_EXCL))
    return target
