"""Repository invariants: CI runs the README's test command; safetensors only; no pickle loading in the code."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return [
        line
        for line in re.findall(r"```bash\n(.*?)```", section, re.S)
        for line in line.splitlines()
        if line and not line.startswith("#")
    ]


def test_readme_has_exactly_two_commands_and_ci_runs_the_test_one():
    commands = _readme_commands()
    assert len(commands) == 2
    assert "app.py" in commands[0] and "pytest" in commands[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()


def test_no_pickle_weights_tracked_and_no_unsafe_loading_in_code():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert not [f for f in files if f.endswith((".bin", ".pt", ".pth", ".pkl", ".ckpt"))]
    offenders = []
    for path in [*ROOT.glob("zoo/**/*.py"), *ROOT.glob("train/**/*.py"), ROOT / "app.py"]:
        if not path.is_file():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if re.search(r"\bpickle\.loads?\(|(?<![.\w])eval\(|(?<![.\w])exec\(", code) or (
                "torch.load(" in code and "weights_only=True" not in code
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []
