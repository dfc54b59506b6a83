"""Run the reliability tests and write RELIABILITY.md from what that run measured (issue 9).

    python -m tools.reliability              # a few minutes; writes RELIABILITY.md at the repository root

Runs ``pytest`` on the input fuzz corpus, the checkpoint-safety tests, the SIGKILL training test and
tests/reliability (load on the launched app, full disk, token hygiene) in a subprocess, with ``ZOO_RELIABILITY_OUT``
pointing at a temporary folder where those tests and the plugin ``tests.reliability.plugin`` write their figures.
Every number in the report comes from that run; the input corpus is counted from tests/test_inputs.py itself.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
TEST_PATHS = ["tests/test_inputs.py", "tests/test_checkpoints.py", "tests/test_load.py", "tests/training/test_kill.py",
              "tests/reliability", "tests/app/test_param_sweep.py", "tests/app/test_size_limits.py",
              "tests/app/test_silent_hub.py", "tests/test_publish.py",
              "tests/training/test_engine.py::test_a_full_disk_during_a_checkpoint_is_one_line",
              "tests/training/test_engine.py::test_resume_refuses_a_tampered_checkpoint_with_one_line"]  # fmt: skip
PLUGIN = "tests.reliability.plugin"
FAULT_TESTS = {  # what a fault test shows -> the pytest node ids that show it
    "SIGKILL at random moments of training: the last checkpoint loads, resume finishes":
        ["tests/training/test_kill.py::test_random_kills_leave_a_loadable_checkpoint_and_resume_matches"],
    "Full disk (1 MiB free): one-line error, exit code 2, before training":
        ["tests/reliability/test_faults.py::test_full_disk_is_a_clear_error_before_training"],
    "Corrupt checkpoints (truncated safetensors, unknown class, shape mismatch, missing files, changed weights)":
        [f"tests/test_checkpoints.py::test_{name}" for name in (
            "truncated_safetensors", "config_naming_an_unknown_class", "shape_mismatch",
            "unknown_pipeline_and_missing_files", "golden_output_detects_changed_weights")],
    "Planted pickle next to the safetensors: never loaded":
        ["tests/test_checkpoints.py::test_planted_pickle_is_never_loaded"],
    "Tampered mirror file (sha256 mismatch): refused":
        ["tests/test_load.py::test_tampered_mirror_is_refused"],
    "HF token never printed or written (publish to a local Hub)":
        ["tests/reliability/test_faults.py::test_token_is_never_printed_or_written"],
    "A Hub server that echoes the token back: redacted from every message":
        ["tests/test_publish.py::test_a_server_echoing_the_token_never_gets_it_printed"],
    "A Hub that accepts connections and never answers: a sentence in seconds, other tabs keep answering":
        ["tests/test_load.py::test_a_hub_that_never_answers_fails_in_seconds",
         "tests/app/test_silent_hub.py::test_a_silent_hub_costs_seconds_and_blocks_no_other_tab"],
    "Hub 503 / 404, publishing to a closed port: one-line zoo errors":
        ["tests/test_load.py::test_hub_errors_become_one_line_zoo_errors",
         "tests/test_publish.py::test_publishing_to_a_closed_port_is_one_line"],
    "A 12000x12000 PNG on every image input, sketchpads included: refused from the header":
        ["tests/app/test_size_limits.py::test_giant_image_refused_everywhere_without_decoding"],
    "NaN, infinities, huge numbers, wrong types, unknown names on every endpoint's parameters: one sentence each":
        ["tests/app/test_param_sweep.py::test_every_bad_parameter_is_one_sentence"],
    "Resume from a tampered checkpoint (random state, weights, optimizer; truncated, flipped, missing, planted)":
        ["tests/training/test_engine.py::test_resume_refuses_a_tampered_checkpoint_with_one_line"],
    "Full disk during a checkpoint save: one-line error, the previous checkpoint intact":
        ["tests/training/test_engine.py::test_a_full_disk_during_a_checkpoint_is_one_line"],
    "A flipped bit in a local folder with checksums.json: refused when loaded by path":
        ["tests/test_checkpoints.py::test_a_folder_with_a_manifest_is_verified_when_loaded_by_path"],
    "Absurd network configs (huge widths, infinities, long lists): refused in < 1 s without allocating":
        ["tests/test_checkpoints.py::test_absurd_config_refused_before_any_allocation",
         "tests/test_checkpoints.py::test_absurd_config_costs_no_memory"],
}  # fmt: skip


def matching(tests: dict[str, Any], node: str) -> list[dict[str, Any]]:
    """The recorded outcomes of ``node`` and of its parametrized cases (``node[...]``)."""
    return [row for key, row in tests.items() if key == node or key.startswith(node + "[")]


def _read(path: Path) -> dict[str, Any] | None:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def machine() -> list[str]:
    from zoo.machine import cpu_name

    cpu = cpu_name()
    memory = "unknown"
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 2**20:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    versions = []
    for package in ("torch", "gradio", "gradio_client", "huggingface_hub", "pytest"):
        try:
            from importlib.metadata import version

            versions.append(f"{package} {version(package)}")
        except Exception:
            versions.append(f"{package} ?")
    commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO_ROOT, capture_output=True, text=True).stdout
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return [
        f"- Machine: {cpu}, {os.cpu_count()} CPU cores, {memory} RAM; {platform.platform()}",
        f"- Python {platform.python_version()}; {', '.join(versions)}",
        f"- Commit {commit.stdout.strip() or 'unknown'}{' (with uncommitted changes)' if dirty.strip() else ''}",
        f"- Load average before the run: {', '.join(f'{x:.2f}' for x in load) if load else 'unknown'}",
    ]


def input_section(figures: dict[str, Any]) -> list[str]:
    from tests import test_inputs  # run from the repository root (python -m tools.reliability)

    cases = test_inputs.corpus()
    tasks = test_inputs.IMAGE_TASKS
    tests = figures.get("tests", {})
    passed_tasks = [t for t in tasks if tests.get(f"tests/test_inputs.py::test_corpus_through_every_pipeline[{t}]",
                                                  {}).get("outcome") == "passed"]  # fmt: skip
    tried = figures.get("input_cases_tried") or []
    examples = test_inputs.test_random_arrays_never_crash._hypothesis_internal_use_settings.max_examples
    exif = [k for k, v in tests.items() if "test_exif_orientation_is_applied" in k and v["outcome"] == "passed"]
    exif_all = [k for k in tests if "test_exif_orientation_is_applied" in k]
    hypo = tests.get("tests/test_inputs.py::test_random_arrays_never_crash", {}).get("outcome", "not run")
    sigma = tests.get("tests/test_inputs.py::test_sigma_and_counts_are_validated", {}).get("outcome", "not run")
    alpha = tests.get("tests/test_inputs.py::test_alpha_is_kept_through_restoration", {}).get("outcome", "not run")
    expected = {"ok": "correct output", "error": "clear InputError"}
    lines = [
        "## Inputs tried",
        "",
        f"{len(cases)} hand-made inputs x {len(tasks)} image pipelines ({', '.join(tasks)}) = "
        f"{len(cases) * len(tasks)} cases; {len(tried)} were run, in {len(passed_tasks)}/{len(tasks)} pipelines "
        "every case gave its expected outcome.",
        "",
        "| input | expected outcome | pipelines where it did |",
        "|---|---|---|",
    ]
    for name, (_source, outcome) in cases.items():
        done = sum(f"{task}:{name}" in tried for task in passed_tasks)
        lines.append(f"| {name} | {expected[outcome]} | {done}/{len(tasks)} |")
    by_outcome = {o: sum(1 for _s, e in cases.values() if e == o) for o in expected}
    lines += [
        "",
        f"- By outcome: {by_outcome['ok']} inputs must give a correct output and {by_outcome['error']} a clear "
        f"InputError, in each of the {len(tasks)} pipelines.",
        f"- EXIF orientations: {len(exif)}/{len(exif_all)} came back upright.",
        f"- Hypothesis-generated arrays (sizes 1-70, 0/1/3/4 channels, 4 dtypes, every pipeline): up to {examples} "
        f"examples; {hypo}.",
        f"- Bad sigma / sample counts / labels / latent vectors rejected with InputError: {sigma}; alpha kept through "
        f"restoration: {alpha}.",
        "- App endpoints with bad uploads are covered by tests/app (not part of this run).",
    ]
    return lines


def load_section(load: dict[str, Any] | None) -> list[str]:
    if load is None:
        return ["## Load held", "", "The load test wrote no figures (it failed or did not run)."]
    env = ", ".join(f"{k}={v}" for k, v in load["app_env"].items())
    loads = load["first_use_loads"]
    once = sum(1 for count in loads.values() if count == 1)
    return [
        "## Load held",
        "",
        f"`python app.py` on 127.0.0.1 ({env}) with {load['models']} tiny checkpoints in a temporary mirror; "
        f"{load['clients']} concurrent gradio_client clients x {load['requests_per_client']} valid requests over "
        f"{load['api_names']} api_names, budget {load['budget_s']:.0f} s.",
        "",
        "| clients | requests | failures | p50 | p95 | max | wall | throughput | RSS start | RSS after warm-up | "
        "RSS after load |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        f"| {load['clients']} | {load['requests']} | {load['failures']} | {load['p50_s']} s | {load['p95_s']} s | "
        f"{load['max_s']} s | {load['wall_s']} s | {load['throughput_rps']} req/s | {load['rss_start_mib']} MiB | "
        f"{load['rss_warm_mib']} MiB | {load['rss_after_mib']} MiB |",
        "",
        f"- Requests not issued because the time budget was spent: {load['not_issued_budget_spent']}.",
        f"- RSS growth after warm-up: {load['rss_after_mib'] - load['rss_warm_mib']:.1f} MiB "
        f"(limit {load['rss_limit_mib']:.0f} MiB).",
        f"- First-use model loads under concurrency: {once}/{load['models']} models loaded exactly once "
        f"({', '.join(f'{k} x{v}' for k, v in loads.items())}).",
        f"- Requests per api_name: {', '.join(f'{k} {v}' for k, v in load['per_api'].items())}.",
    ]


def faults_section(figures: dict[str, Any], out: Path) -> list[str]:
    tests = figures.get("tests", {})
    kill = figures.get("kill", {})
    disk = _read(out / "fault-full-disk.json")
    token = _read(out / "fault-token.json")
    detail = {
        "SIGKILL at random moments of training: the last checkpoint loads, resume finishes":
            f"{kill.get('sigkills', 0)} SIGKILLs sent; after resuming, {kill.get('tensors_equal', 0)} weight tensors "
            f"equal to an uninterrupted run (max abs diff {kill.get('max_abs_diff', float('nan')):.1e})",
        "Full disk (1 MiB free): one-line error, exit code 2, before training":
            f"exit code {disk['exit_code']}: `{disk['message']}`" if disk else "no figures",
        "HF token never printed or written (publish to a local Hub)":
            f"secret found {token['output_token_occurrences']} times in {token['output_bytes_scanned']} bytes of "
            f"output and in {token['files_with_token']} of "
            f"{token['files_scanned']} files (checkpoint, mirror, card, catalog, caches, Hub storage); "
            f"{token['hub_write_requests_authorized']}/{token['hub_write_requests']} Hub writes carried it"
            if token else "no figures",
    }  # fmt: skip
    silent = _read(out / "fault-silent-hub.json")
    giant = _read(out / "fault-giant-upload.json")
    sweeps = [_read(path) for path in sorted(out.glob("sweep-*.json"))]
    if silent:
        detail["A Hub that accepts connections and never answers: a sentence in seconds, other tabs keep answering"] = (
            f"the app's model request ended after {silent['model_seconds']:.1f} s; another tab answered in "
            f"{silent['other_tab_seconds']:.2f} s meanwhile"
        )
    if giant:
        detail["A 12000x12000 PNG on every image input, sketchpads included: refused from the header"] = (
            f"{len(giant['endpoints'])} endpoints; server RSS {giant['rss_before_mib']:.0f} MiB before, "
            f"{giant['rss_grown_mib']:+.0f} MiB after (limit +200)"
        )
    if sweeps:
        detail["NaN, infinities, huge numbers, wrong types, unknown names on every endpoint's parameters: one "
               "sentence each"] = (
            f"{sum(s['refused'] for s in sweeps)} bad values over {len(sweeps)} endpoints refused with one sentence; "
            "no traceback in the server log"
        )  # fmt: skip
    lines = ["## Faults survived", "", "| fault | tests passed | details |", "|---|---|---|"]
    for what, ids in FAULT_TESTS.items():
        rows = [row for node in ids for row in matching(tests, node)]
        passed = sum(row.get("outcome") == "passed" for row in rows)
        lines.append(f"| {what} | {passed}/{len(rows) or len(ids)} | {detail.get(what, '')} |")
    return lines


def write_report(path: Path, command: str, pytest_command: list[str], summary: str, started: str, seconds: float,
                 out: Path, machine_lines: list[str]) -> None:  # fmt: skip
    figures = _read(out / "pytest.json") or {}
    counts = figures.get("counts", {})
    lines = [
        "# Reliability",
        "",
        "Generated by `python -m tools.reliability` from one run of the tests below; do not edit by hand.",
        "",
        f"- Command: `{command}`",
        f"- Which ran: `{shlex.join(pytest_command)}`",
        f"- Started {started}, took {seconds:.0f} s",
        *machine_lines,
        f"- pytest: {summary}",
        f"- Tests: {', '.join(f'{v} {k}' for k, v in sorted(counts.items())) or 'no results'}",
        "",
        *input_section(figures),
        "",
        *load_section(_read(out / "load.json")),
        "",
        *faults_section(figures, out),
        "",
    ]
    failed = [k for k, v in figures.get("tests", {}).items() if v["outcome"] in ("failed", "error")]
    if failed:
        reasons = {k: figures["tests"][k].get("reason", "") for k in failed}
        lines += ["## Failed", "", *(f"- {k}: `{reasons[k]}`" for k in failed), ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.reliability", description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=str(REPO_ROOT / "RELIABILITY.md"), help="report path")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds the whole pytest run may take")
    args = parser.parse_args(argv)
    command = shlex.join(["python", "-m", "tools.reliability", *(argv if argv is not None else sys.argv[1:])])
    pytest_command = [sys.executable, "-m", "pytest", *TEST_PATHS, "-q", "-p", PLUGIN, "-p", "no:cacheprovider"]
    machine_lines = machine()
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    with tempfile.TemporaryDirectory(prefix="zoo-reliability-") as folder:
        env = {**os.environ, "ZOO_RELIABILITY_OUT": folder, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
        begin = time.monotonic()
        try:
            done = subprocess.run(pytest_command, cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                                  timeout=args.timeout)  # fmt: skip
            output, code = done.stdout + done.stderr, done.returncode
        except subprocess.TimeoutExpired as error:
            output, code = f"{error.stdout or ''}\npytest ran past {args.timeout} s", 124
        seconds = time.monotonic() - begin
        print(output)
        summary = next((line.strip("= ") for line in reversed(output.splitlines()) if " in " in line and (
            "passed" in line or "failed" in line or "error" in line)), f"no summary (exit code {code})")  # fmt: skip
        pytest_command[0] = "python"
        write_report(Path(args.output), command, pytest_command, summary, started, seconds, Path(folder),
                     machine_lines)  # fmt: skip
    print(f"wrote {args.output} ({summary})")
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
