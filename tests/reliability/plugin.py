"""pytest plugin of ``python -m tools.reliability`` (loaded with ``-p tests.reliability.plugin``): records what the run
did, for RELIABILITY.md, in ``$ZOO_RELIABILITY_OUT/pytest.json``: each test's outcome and duration, the input cases
tried by tests/test_inputs.py, and the SIGKILLs sent and weight tensors compared by tests/training/test_kill.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

OUTCOMES: dict[str, dict] = {}
KILL = Counter()


def pytest_runtest_logreport(report) -> None:
    row = OUTCOMES.setdefault(report.nodeid, {"outcome": "passed", "duration_s": 0.0})
    row["duration_s"] = round(row["duration_s"] + report.duration, 3)
    if report.failed:
        row["outcome"] = "failed" if report.when == "call" else "error"
        errors = [line[1:].strip() for line in report.longreprtext.splitlines() if line.startswith("E ")]
        row["reason"] = (errors[0] if errors else report.longreprtext.strip().split("\n")[-1])[:300]
    elif report.skipped and row["outcome"] == "passed":
        row["outcome"] = "skipped"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Around test_kill: count the SIGKILLs it sends and the weight tensors it compares (resume == uninterrupted)."""
    if "test_kill" not in item.nodeid:
        return (yield)
    import torch

    send_signal, assert_close = subprocess.Popen.send_signal, torch.testing.assert_close

    def counting_send_signal(self, sig):
        if sig == signal.SIGKILL:
            KILL["sigkills"] += 1
        return send_signal(self, sig)

    def counting_assert_close(actual, expected, *args, **kwargs):
        assert_close(actual, expected, *args, **kwargs)
        KILL["tensors_equal"] += 1
        KILL["max_abs_diff"] = max(KILL["max_abs_diff"], float((actual - expected).abs().max()))

    subprocess.Popen.send_signal, torch.testing.assert_close = counting_send_signal, counting_assert_close
    try:
        return (yield)
    finally:
        subprocess.Popen.send_signal, torch.testing.assert_close = send_signal, assert_close


def _cases_tried() -> list[str] | None:
    for module in list(sys.modules.values()):
        if Path(getattr(module, "__file__", None) or "").as_posix().endswith("tests/test_inputs.py"):
            return list(module.CASES_TRIED)
    return None


def pytest_sessionfinish(session, exitstatus) -> None:
    folder = os.environ.get("ZOO_RELIABILITY_OUT")
    if not folder:
        return
    figures = {
        "exitstatus": int(exitstatus),
        "tests": OUTCOMES,
        "counts": dict(Counter(row["outcome"] for row in OUTCOMES.values())),
        "input_cases_tried": _cases_tried(),
        "kill": dict(KILL),
    }
    Path(folder).mkdir(parents=True, exist_ok=True)
    (Path(folder) / "pytest.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
