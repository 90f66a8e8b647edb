"""``./bassin new-service`` writes a service the registry can read, from its template."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

from bassin_dev import scaffold
from bassin_dev.generate import region_markers, replace_region


def test_the_template_renders_a_complete_service(tmp_path: Path) -> None:
    target = scaffold.write_service("demo_probe", tmp_path)
    written = {str(path.relative_to(target)) for path in target.rglob("*") if path.is_file()}
    assert {
        "pyproject.toml",
        "README.md",
        "demo_probe/service.py",
        "demo_probe/domain.py",
        "demo_probe/usecases.py",
        "demo_probe/models.py",
        "demo_probe/schemas.py",
        "demo_probe/events.py",
        "tests/conftest.py",
        "tests/test_service.py",
    } <= written
    for path in target.rglob("*.py"):
        ast.parse(path.read_text(), filename=str(path))  # valid Python
    project = tomllib.loads((target / "pyproject.toml").read_text())
    assert project["project"]["name"] == "bassin-demo-probe"
    assert project["project"]["entry-points"]["bassin.services"] == {
        "demo_probe": "demo_probe.service:DemoProbeService"
    }
    assert 'name = "demo_probe"' in (target / "demo_probe/service.py").read_text()
    assert "{{" not in "".join(path.read_text() for path in target.rglob("*") if path.is_file())


@pytest.mark.parametrize("name", ["Demo", "demo-probe", "2probe", "demo__probe", "json", "inventory"])
def test_a_name_that_cannot_be_a_service_is_refused(name: str) -> None:
    assert scaffold.problems_with(name)


def test_generated_regions_are_replaced_between_their_markers() -> None:
    begin, end = region_markers("images")
    text = f"a: 1\n  {begin}\n  - old\n  {end}\nb: 2\n"
    assert (
        replace_region(text, "images", "  - new\n  - newer") == f"a: 1\n  {begin}\n  - new\n  - newer\n  {end}\nb: 2\n"
    )
    with pytest.raises(LookupError, match="replicas"):
        replace_region(text, "replicas", "")
