"""``./bassin new-service NAME``: a working, tested, empty service.

It writes ``services/NAME/`` from the template beside this module, adds the one line that
installs it (``-e services/NAME`` in ``requirements-dev.txt``: installing it registers it),
installs it, and regenerates what is derived from the registry (``./bassin generate``).
From then on the service migrates, starts under ``./bassin start``, appears in the
deployment files and the event catalogue, and its tests run with the suite.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

from bassin_dev.generate import fill

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = Path(__file__).with_name("template")
REQUIREMENTS = REPO / "requirements-dev.txt"
VALID_NAME = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def render(text: str, name: str) -> str:
    return fill(
        text,
        {
            "name": name,
            "Name": "".join(part.capitalize() for part in name.split("_")),
            "dist": f"bassin-{name.replace('_', '-')}",
        },
    )


def problems_with(name: str) -> str | None:
    if not VALID_NAME.match(name):
        return "use lower case letters and digits, words joined by _ (e.g. demo_probe)"
    if (REPO / "services" / name).exists():
        return f"services/{name} exists already"
    if importlib.util.find_spec(name) is not None:
        return f"a Python module named {name} is already importable; choose another name"
    return None


def write_service(name: str, services_dir: Path = REPO / "services") -> Path:
    target = services_dir / name
    for source in sorted(TEMPLATE.rglob("*.tmpl")):
        relative = source.relative_to(TEMPLATE).with_suffix("")  # drops .tmpl
        destination = target / Path(str(relative).replace("__package__", name))
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(render(source.read_text(), name))
    return target


def register(name: str) -> str:
    line = f"-e services/{name}"
    lines = REQUIREMENTS.read_text().splitlines()
    if line not in lines:
        # After the last service line, so the file keeps the services together.
        last_service = max((i for i, entry in enumerate(lines) if entry.startswith("-e services/")), default=0)
        lines.insert(last_service + 1, line)
        REQUIREMENTS.write_text("\n".join(lines) + "\n")
    return line


def new_service(name: str) -> int:
    if problem := problems_with(name):
        print(f"error: {problem}", file=sys.stderr)
        return 2
    target = write_service(name)
    line = register(name)
    python = sys.executable
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "-e", str(target), "-c", str(REPO / "constraints.txt")],
        check=True,
    )
    # A new process: this one's registry was read before the service was installed.
    subprocess.run([python, "-m", "bassin_dev.generate"], check=True, cwd=REPO)
    print(
        f"\nservices/{name} is ready, registered by its pyproject.toml and installed by "
        f"'{line}' in requirements-dev.txt.\n"
        f"  ./bassin test services/{name}     its tests\n"
        f"  ./bassin start                    runs it with the others\n"
        f"Next: its models and a first revision (bassin-migrate {name} --new-revision '...'),\n"
        f"its use cases and RPC methods, and its routes in gateway/bassin_gateway/api/{name}.py."
    )
    return 0
