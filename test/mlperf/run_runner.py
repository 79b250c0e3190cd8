"""Runs the official MLPerf Tiny runner's own Script, DataSet and DUT classes (mlcommons/tiny
benchmark/runner, read from RUNNER_DIR, never copied here) against a reparo DUT on a pty, the way
its main.py runs a test once it has found the board: its USB scan cannot see a pty, so the port is
handed over. Writes what Script.run returned, with the DUT's name, model and profile, as JSON.

Usage: run_runner.py RUNNER_DIR PTY DATASET_DIR MODE(p|a) OUT.json
Run it in a scratch folder: the runner writes its sessions/ log there.
"""
import json
import os
import sys

import yaml

runner, pty, dataset, mode, out = sys.argv[1:6]
sys.path.insert(0, runner)
real_stdout = sys.stdout
from device_under_test import DUT  # noqa: E402
from datasets import DataSet  # noqa: E402
from script import Script  # noqa: E402  (it sends print() to its log from here on)

tests = "tests_performance.yaml" if mode == "p" else "tests_accuracy.yaml"
with open(os.path.join(runner, tests)) as f:
    config = yaml.safe_load(f)
with DUT(pty, 115200) as dut:
    name, model, profile = dut.get_name(), dut.get_model(), dut.get_profile()
    script = Script(config[model])
    result = script.run(None, dut, DataSet(os.path.join(dataset, script.model), script.truth), mode)
with open(out, "w") as f:
    json.dump({"name": name, "model": model, "profile": profile, "result": result}, f)
real_stdout.write(f"wrote {out}\n")
