"""Child processes timed one at a time: wall time, peak resident memory and the child's own report."""

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LAUNCHER = Path(__file__).resolve().with_name("peak.py")


@dataclass(frozen=True)
class Sample:
    seconds: float
    peak_rss_mb: float
    report: dict[str, Any] = field(default_factory=dict)


def run(command: Sequence[str], env: dict[str, str] | None = None, keep_stdout: bool = True) -> Sample:
    """Run one process to its end, through bench/peak.py. Its report is the JSON object on its
    last stdout line, if any."""
    with tempfile.NamedTemporaryFile(suffix=".json") as measured:
        result = subprocess.run(
            [sys.executable, "-I", "-S", str(LAUNCHER), measured.name, *command],
            env=env,
            stdout=subprocess.PIPE if keep_stdout else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if result.returncode != 0:
            output = f"{result.stdout or ''}\n{result.stderr[-3000:]}"
            raise RuntimeError(f"{' '.join(command)} exited {result.returncode}:\n{output}")
        figures = json.loads(Path(measured.name).read_text())
    lines = (result.stdout or "").strip().splitlines()
    report = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    return Sample(figures["seconds"], figures["peak_rss_kb"] / 1024, report)


def python_child(task: str, env: dict[str, str], **arguments: Any) -> Sample:
    """One task of bench.child in a fresh interpreter of this virtualenv."""
    command = [sys.executable, "-m", "bench.child", task, json.dumps(arguments)]
    return run(command, env={**env, "PYTHONPATH": str(ROOT)})


def middle(values: Sequence[float]) -> float:
    return round(float(median(values)), 3)


def medians(samples: list[dict[str, Any]], names: Iterable[str] | None = None) -> dict[str, float]:
    """Each figure's median over the samples (every figure of the first sample, or `names`)."""
    return {name: middle([sample[name] for sample in samples]) for name in names or samples[0]}
