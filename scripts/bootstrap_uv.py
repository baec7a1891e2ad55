"""Put the pinned uv into a virtual environment that has no pip.

Debian's python3 without the python3-venv package can only make a venv with
``--without-pip``; this fetches uv's wheel from PyPI, checks its hash against
PyPI's own record, and unpacks it into the venv. Standard library only.
"""

from __future__ import annotations

import hashlib
import io
import json
import platform
import sys
import sysconfig
import urllib.request
import zipfile
from pathlib import Path

UV_VERSION = "0.9.9"


def main() -> int:
    machine = platform.machine().lower()
    arch = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}[
        machine
    ]
    with urllib.request.urlopen(f"https://pypi.org/pypi/uv/{UV_VERSION}/json", timeout=60) as r:
        files = json.load(r)["urls"]
    wheel = next(
        f
        for f in files
        if f["filename"].endswith(".whl") and "manylinux" in f["filename"] and arch in f["filename"]
    )
    with urllib.request.urlopen(wheel["url"], timeout=300) as r:
        data = r.read()
    if hashlib.sha256(data).hexdigest() != wheel["digests"]["sha256"]:
        print("uv wheel hash mismatch", file=sys.stderr)
        return 1
    scripts = Path(sysconfig.get_path("scripts"))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.endswith("/scripts/uv"):
                target = scripts / "uv"
                target.write_bytes(archive.read(name))
                target.chmod(0o755)
                return 0
    print("uv binary not found in the wheel", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
