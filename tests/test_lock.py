"""The lock files pin the whole dependency tree, and agree with pyproject.toml (issue 14)."""
import re
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")


def _pins(name: str) -> dict[str, Version]:
    text = (ROOT / name).read_text("utf-8")
    pins = {}
    for line in text.splitlines():
        match = PIN.match(line)
        if match:
            pins[canonicalize_name(match[1])] = Version(match[2])
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n\n", 1)[-1])
    for block in blocks:
        if PIN.match(block):
            assert "--hash=sha256:" in block, f"{name}: {block.splitlines()[0]} has no hash"
    return pins


def _requirements(extra: str | None = None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    names = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    return [Requirement(spec) for spec in names]


@pytest.mark.parametrize("lock, requirements", [
    ("requirements.lock", _requirements()),
    ("requirements-test.lock", _requirements() + _requirements("test")),
], ids=["runtime", "test"])
def test_lock_pins_every_pyproject_requirement_within_its_range(lock, requirements):
    """A dependency added to or narrowed in pyproject.toml without `make lock` fails here."""
    pins = _pins(lock)
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} fehlt in {lock}: `make lock` ausführen"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{lock} pinnt {name}=={pins[name]}, pyproject.toml verlangt {requirement.specifier}")


def test_test_lock_pins_the_same_runtime_versions():
    """`make run` and `make test` install the same versions of every runtime package."""
    runtime, test = _pins("requirements.lock"), _pins("requirements-test.lock")
    assert {name: version for name, version in test.items() if name in runtime} == runtime


def test_installed_versions_are_the_locked_ones():
    """The environment the suite runs in was installed from the test lock."""
    mismatched = {}
    for name, pinned in _pins("requirements-test.lock").items():
        try:
            installed = Version(version(name))
        except PackageNotFoundError:
            installed = None
        if installed != pinned:
            mismatched[name] = (str(pinned), str(installed))
    assert mismatched == {}
