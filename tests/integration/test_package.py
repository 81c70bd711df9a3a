"""The code location as someone deploying it elsewhere gets it: a wheel, installed in a fresh virtualenv."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def run(*command: str | Path, **options) -> subprocess.CompletedProcess:
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True, timeout=600, **options)
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result


def test_the_wheel_installed_in_a_fresh_virtualenv_loads_its_definitions(code_location_env, tmp_path):
    # Built and installed without the network: the build backend is in the test environment, and
    # every dependency comes from uv's cache, filled when the test environment was made.
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--wheel-dir",
        tmp_path,
        ROOT / "user_code",
    )
    [wheel] = tmp_path.glob("bookshop-*.whl")
    venv = tmp_path / "venv"
    run(VENV_BIN / "uv", "venv", "--quiet", "--python", sys.executable, venv)
    run(
        VENV_BIN / "uv", "pip", "install", "--quiet", "--offline", "--python", venv / "bin" / "python",
        "-r", ROOT / "locks" / "user_code.txt", wheel,
    )  # fmt: skip

    # Run from an empty folder with nothing of the source tree on the path: the installed copy loads.
    env = {**code_location_env, "PATH": f"{venv / 'bin'}:/usr/bin:/bin", "DAGSTER_HOME": str(tmp_path)}
    where = run(venv / "bin" / "python", "-c", "import bookshop; print(bookshop.__file__)", cwd=tmp_path, env=env)
    assert where.stdout.strip().startswith(str(venv / "lib"))
    validated = run(
        venv / "bin" / "dagster", "definitions", "validate", "-m", "bookshop.definitions", cwd=tmp_path, env=env
    )
    assert "All code locations passed validation" in validated.stdout + validated.stderr
