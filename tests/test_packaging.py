"""The wheel holds every module under the one import package, and the entry points work."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"core": "coffeechat", "cli": "coffeechat/cli", "plugins": "coffeechat/plugins"}


def written_version() -> str:
    """``coffeechat.__version__`` as core/__init__.py writes it: the one place it is kept."""
    text = (ROOT / "core" / "__init__.py").read_text()
    found = re.search(r'^__version__ = "([^"]+)"$', text, re.MULTILINE)
    assert found, "core/__init__.py sets __version__ to a string literal"
    return found[1]


def expected_modules() -> set[str]:
    modules = set()
    for folder, package in LAYERS.items():
        for path in (ROOT / folder).rglob("*.py"):
            relative = path.relative_to(ROOT / folder)
            if folder == "core" and relative.parts[0] in ("cli", "plugins"):
                continue
            modules.add(f"{package}/{relative.as_posix()}")
    return modules


@pytest.mark.slow  # builds the wheel with pip
def test_wheel_holds_every_module_and_no_stray_top_level(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for folder in LAYERS:
        shutil.copytree(ROOT / folder, source / folder,
                        ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path),
         str(source)], check=True, capture_output=True, timeout=600,
    )
    [wheel] = tmp_path.glob("coffeechat-*.whl")
    version = written_version()  # pyproject takes the version from coffeechat.__version__
    assert wheel.name.startswith(f"coffeechat-{version}-")
    names = set(zipfile.ZipFile(wheel).namelist())
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    assert f"\nVersion: {version}\n" in zipfile.ZipFile(wheel).read(metadata).decode()
    python_files = {n for n in names if n.endswith(".py")}
    assert python_files == expected_modules()
    tops = {n.split("/")[0] for n in names}
    assert not tops & {"core", "cli", "plugins", "tests"}
    assert "coffeechat/py.typed" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "coffeechat = coffeechat.cli.launch:main" in zipfile.ZipFile(wheel).read(
        entry_points).decode()


def test_python_dash_m_and_console_script(tmp_path: Path) -> None:
    env = {"COFFEECHAT_HOME": str(tmp_path), "PATH": str(Path(sys.executable).parent)}
    module = subprocess.run([sys.executable, "-m", "coffeechat", "--version"],
                            capture_output=True, text=True, env=env, check=True)
    assert module.stdout == f"coffeechat, version {written_version()}\n"
    script = Path(sys.executable).parent / "coffeechat"
    assert script.exists(), "the console script is installed beside the interpreter"
    result = subprocess.run([str(script), "--help"], capture_output=True, text=True, env=env,
                            check=True)
    assert "Usage: coffeechat" in result.stdout


def test_core_never_imports_cli_or_plugins() -> None:
    for path in (ROOT / "core").rglob("*.py"):
        if path.name == "__main__.py":
            continue  # the launcher for `python -m coffeechat`
        text = path.read_text()
        assert "coffeechat.cli" not in text, path
        if path.name != "plugin_manager.py":  # it loads the built-ins by name, like any plugin
            assert "from coffeechat.plugins" not in text and "import coffeechat.plugins" \
                not in text, path
    for path in (ROOT / "plugins").rglob("*.py"):
        assert "coffeechat.cli" not in path.read_text(), path
