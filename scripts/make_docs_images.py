"""Regenerate the example charts in docs/images/ (run from anywhere):

    python scripts/make_docs_images.py

Every image in the README is shown under the command that makes it; this script reads those
commands out of README.md and runs them as written (in a scratch directory that sees the
bundled workloads), so an image can never show options its command does not.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"
LIMIT = 100_000  # bytes: committed images stay small
# A ```sh block, then (after blank lines only) an image of docs/images/.
_IMAGE = re.compile(r"```sh\n([^`]*?)```\n\s*!\[[^\]]*\]\(docs/images/([\w.-]+)\)")


def image_commands(readme: str) -> list[tuple[str, str]]:
    """``(command, image name)`` for each README image: the last command of the shell block
    just above it, which must write a file of the image's name."""
    found = []
    for block, name in _IMAGE.findall(readme):
        commands = [line.strip() for line in block.splitlines() if line.strip()]
        command = commands[-1].split(" #")[0].strip()
        if name not in shlex.split(command):
            raise SystemExit(f"README: the command above {name} does not write {name}: {command}")
        found.append((command, name))
    return found


def main() -> int:
    IMAGES.mkdir(parents=True, exist_ok=True)
    too_big = []
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        (work / "workloads").symlink_to(ROOT / "workloads")
        for command, name in image_commands((ROOT / "README.md").read_text(encoding="utf-8")):
            arguments = shlex.split(command)
            subprocess.run(
                [sys.executable, "-m", "schedsim", *arguments[1:]],
                cwd=work,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            target = IMAGES / name
            shutil.copyfile(work / name, target)
            size = target.stat().st_size
            print(f"{target.relative_to(ROOT)}: {size / 1000:.1f} kB  <- {command}")
            if size > LIMIT:
                too_big.append(name)
    if too_big:
        print(f"too big (> {LIMIT / 1000:.0f} kB): {', '.join(too_big)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
