"""Seeded fuzzing of every file a user can hand the CLI: configs, checkpoints, manifests, metrics.

For each bad input: exit status 2, exactly one line on stderr (`ganstudio: error: ...`), no
traceback, and the run folder byte for byte as it was.
"""

import copy
import hashlib
import json
import random
import subprocess
import sys
import unicodedata
import zipfile
from pathlib import Path

import pytest
import torch

from ganstudio.cli import main
from ganstudio.core.checkpoint import load_checkpoint
from ganstudio.core.config import SECTIONS
from ganstudio.core.export import ImageSetSpec, write_image_set
from ganstudio.core.runlog import RunDirectory
from ganstudio.core.sampling import load_generator
from ganstudio.core.session import TrainingSession
from tests.conftest import tiny_image_config, tiny_toy_config

SEED = 15
BAD_BY_TYPE = {
    "int": ["x", 1.5, None, [], {}, True, -(10**30), 2.0],
    "float": ["x", None, [], {}, True, float("nan"), float("inf")],
    "bool": ["yes", 1, None, 0.0, []],
    "str": [5, None, [], {}, 1.5, "not-a-choice", "a" * 5000],
}
FREE_TEXT = {"data.path", "quality.inception_weights", "data.dataset"}  # any text may be valid there


def tree_state(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def assert_one_line_error(rc: int, capsys) -> str:
    err = capsys.readouterr().err
    assert rc == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ganstudio: error: "), err
    assert "Traceback" not in err
    assert not any(unicodedata.category(c) == "Cc" for c in lines[0]), lines[0]  # a NUL from a file: shown, not sent
    return lines[0]


def bad_config_texts(rng: random.Random) -> list[tuple[str, bytes]]:
    base = tiny_toy_config(steps=3).to_dict()
    cases = []
    for section, cls in SECTIONS.items():
        for name, kind in ((f.name, f.type) for f in cls.__dataclass_fields__.values()):
            if f"{section}.{name}" in FREE_TEXT:
                continue
            pool = BAD_BY_TYPE[kind.replace(" | None", "")]
            for value in rng.sample(pool, k=min(4, len(pool))):
                if (kind == "str | None" and value is None) or (
                    kind == "str" and value == "a" * 5000 and name == "path"
                ):
                    continue
                raw = copy.deepcopy(base)
                raw[section][name] = value
                cases.append((f"{section}.{name}={value!r:.20}", json.dumps(raw).encode()))
    structural = [
        ("deep nesting", b"[" * 100_000 + b"]" * 100_000),
        ("not UTF-8", b'{"data": {"dataset": "\xff\xfe"}}'),
        ("5,000 digits", b'{"train": {"steps": ' + b"9" * 5000 + b"}}"),
        ("a list", b"[1, 2]"),
        ("empty", b""),
        ("unknown section", json.dumps({**base, "extra": {}}).encode()),
        ("unknown field", json.dumps({**base, "train": {**base["train"], "speed": 1}}).encode()),
        ("path escape preset", json.dumps({**base, "preset": "../../../../tmp/x"}).encode()),
        ("preset with slash", json.dumps({**base, "preset": "a/b"}).encode()),
        ("section not object", json.dumps({**base, "model": [1]}).encode()),
        ("DCGAN batch 1", tiny_image_config(batch_size=1).to_json().encode()),
        (
            "DCGAN huge",
            json.dumps(
                {
                    **tiny_image_config().to_dict(),
                    "model": {**tiny_image_config().to_dict()["model"], "width": 2048},
                    "data": {**tiny_image_config().to_dict()["data"], "image_size": 64},
                }
            ).encode(),
        ),
        (
            "batch 65,536 DCGAN 64px",
            json.dumps(
                {
                    **tiny_image_config().to_dict(),
                    "train": {**tiny_image_config().to_dict()["train"], "batch_size": 65536},
                    "model": {**tiny_image_config().to_dict()["model"], "width": 256},
                    "data": {**tiny_image_config().to_dict()["data"], "image_size": 64},
                }
            ).encode(),
        ),
    ]
    return cases + structural


def test_bad_configs_are_refused_in_one_line(tmp_path, capsys):
    cases = bad_config_texts(random.Random(SEED))
    assert len(cases) > 150
    for i, (label, text) in enumerate(cases):
        cfg = tmp_path / f"c{i}.json"
        cfg.write_bytes(text)
        run = tmp_path / f"run{i}"
        rc = main(["train", "--config", str(cfg), "--out", str(run), "--steps", "1"])
        line = assert_one_line_error(rc, capsys)
        assert not run.exists(), (label, line)
        assert "recursion" not in line, line  # Python's words for deep nesting, not the file's fault


def test_bad_set_values_are_refused_in_one_line(tmp_path, capsys):
    rng = random.Random(SEED + 1)
    assignments = [
        "data.is_toy=1",
        "train.__class__=1",
        "train.__dict__={}",
        "preset=x",
        "model=1",
        "x.y=1",
        "train.steps=" + "9" * 5000,
        "train.steps=[" * 10_000,
        "noequals",
        "=1",
        ".=1",
    ]
    assignments += [
        f"{s}.{n}={json.dumps(v)}"
        for s, n, v in (
            (rng.choice(["train", "optim"]), rng.choice(["steps", "lr_g", "k"]), rng.choice(["x", -1, None, []]))
            for _ in range(20)
        )
    ]
    for i, assignment in enumerate(assignments):
        run = tmp_path / f"run{i}"
        rc = main(["train", "--preset", "ring-8", "--set", assignment, "--out", str(run), "--steps", "1"])
        assert_one_line_error(rc, capsys)
        assert not run.exists(), assignment


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """A toy run folder with its latest checkpoint, trained once for every checkpoint case."""
    folder = tmp_path_factory.mktemp("fuzz") / "run"
    cfg = tiny_toy_config(steps=4, checkpoint_every=4)
    session = TrainingSession.start(cfg, RunDirectory.at(folder))
    while not session.done:
        session.advance()
    session.save_checkpoint()
    return folder


def checkpoint_mutations(state: dict, rng: random.Random) -> list[tuple[str, object]]:
    g = state["generator"]
    first = next(iter(g))
    cases = [
        ("version text", {**state, "version": "1"}),
        ("version float", {**state, "version": 1.5}),
        ("version negative", {**state, "version": -1}),
        ("version bool", {**state, "version": True}),
        ("version newer", {**state, "version": 99}),
        ("step text", {**state, "step": "x"}),
        ("step negative", {**state, "step": -5}),
        ("step float", {**state, "step": 2.5}),
        ("no step", {k: v for k, v in state.items() if k != "step"}),
        ("no config", {k: v for k, v in state.items() if k != "config"}),
        ("config list", {**state, "config": [1]}),
        ("config bad field", {**state, "config": {"train": {"k": "x"}}}),
        ("generator list", {**state, "generator": [1]}),
        ("generator value not tensor", {**state, "generator": {**g, first: [1.0]}}),
        ("missing key", {**state, "generator": {k: v for k, v in g.items() if k != first}}),
        ("extra key", {**state, "generator": {**g, "extra.weight": torch.zeros(2)}}),
        ("discriminator missing key", {**state, "discriminator": dict(list(state["discriminator"].items())[1:])}),
        ("no discriminator", {k: v for k, v in state.items() if k != "discriminator"}),
        ("fixed noise shape", {**state, "fixed_noise": torch.zeros(3)}),
        ("fixed noise integers", {**state, "fixed_noise": state["fixed_noise"].long()}),
        ("generator sparse", {**state, "generator": {**g, first: g[first].to_sparse()}}),
        ("generator complex", {**state, "generator": {**g, first: g[first].to(torch.complex64)}}),
        ("generator integers", {**state, "generator": {**g, first: g[first].long()}}),
        ("rng wrong", {**state, "rng": torch.zeros(3)}),
        ("opt state wrong", {**state, "opt_g": {"state": {}, "param_groups": []}}),
        ("not ours", {"format": "other"}),
        ("not a dict", [1, 2, 3]),
    ]
    for name in rng.sample(sorted(g), k=min(6, len(g))):
        shape = list(g[name].shape) or [1]
        shape[0] += rng.randint(1, 3)
        cases.append((f"shape {name}", {**state, "generator": {**g, name: torch.zeros(shape)}}))
    return cases


def _write_bomb(path: Path) -> None:
    """A valid torch file whose one tensor is stored deflated: a few hundred KB that unpack to 400 MB."""
    plain = path.with_suffix(".plain")
    torch.save({"format": "ganstudio-checkpoint", "big": torch.zeros(100_000_000)}, plain)
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    plain.unlink()


def test_bad_checkpoints_are_refused_in_one_line(trained_run, tmp_path, capsys):
    rng = random.Random(SEED + 2)
    state = load_checkpoint(trained_run / "checkpoints" / "latest.pt")
    files = []
    for i, (label, mutated) in enumerate(checkpoint_mutations(state, rng)):
        path = tmp_path / f"ck{i}.pt"
        torch.save(mutated, path)
        files.append((label, path))
    raw = (trained_run / "checkpoints" / "latest.pt").read_bytes()
    for i, cut in enumerate(sorted(rng.sample(range(10, len(raw) - 10), 8))):
        (tmp_path / f"cut{i}.pt").write_bytes(raw[:cut])
        files.append((f"truncated at {cut}", tmp_path / f"cut{i}.pt"))
    (tmp_path / "noise.pt").write_bytes(bytes(rng.getrandbits(8) for _ in range(4096)))
    files.append(("random bytes", tmp_path / "noise.pt"))
    _write_bomb(tmp_path / "bomb.pt")
    files.append(("zip bomb", tmp_path / "bomb.pt"))
    files.append(("a folder", tmp_path))
    for i, (label, path) in enumerate(files):
        out = tmp_path / f"out{i}"
        try:
            sampled = main(["sample", str(path), "--n", "2", "--out", str(out)])
        except SystemExit as refused:  # a folder that is no run: refused while the arguments are read
            sampled = int(refused.code)
        if label.startswith(("discriminator", "no discriminator", "fixed noise", "rng", "opt state")):
            # the generator is intact, so sampling works; training from it must be refused
            assert sampled == 0, capsys.readouterr().err
            capsys.readouterr()
            run = tmp_path / f"resume{i}"
            (run / "checkpoints").mkdir(parents=True)
            (run / "config.json").write_bytes((trained_run / "config.json").read_bytes())
            (run / "checkpoints" / "latest.pt").write_bytes(path.read_bytes())
            before = tree_state(run)
            rc = main(["train", "--resume", str(run), "--steps", "9"])
            assert_one_line_error(rc, capsys)
            assert tree_state(run) == before, label
        else:
            assert_one_line_error(sampled, capsys)
            assert not out.exists() or not any(out.iterdir()), label


def test_a_sparse_or_complex_checkpoint_is_one_line_without_torchs_warnings(trained_run, tmp_path):
    """Warnings reach stderr only outside pytest, which records them: a real process shows what a user sees."""
    state = load_checkpoint(trained_run / "checkpoints" / "latest.pt")
    g = state["generator"]
    first = next(iter(g))
    for kind, tensor in (("sparse", g[first].to_sparse()), ("complex", g[first].to(torch.complex64))):
        path = tmp_path / f"{kind}.pt"
        torch.save({**state, "generator": {**g, first: tensor}}, path)
        done = subprocess.run(
            [sys.executable, "-m", "ganstudio", "sample", str(path), "--n", "2", "--out", str(tmp_path / kind)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith("ganstudio: error: ") and done.stderr.count("\n") == 1, done.stderr


def test_resume_refusals_leave_the_run_folder_as_it_was(trained_run, tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    for p in trained_run.rglob("*"):
        if p.is_file():
            (run / p.relative_to(trained_run)).parent.mkdir(parents=True, exist_ok=True)
            (run / p.relative_to(trained_run)).write_bytes(p.read_bytes())
    before, folder_time = tree_state(run), run.stat().st_mtime_ns
    edited = json.loads((run / "config.json").read_text())
    for argv in (
        ["--steps", "0"],
        ["--steps", "-3"],
        ["--steps", "2"],
        ["--seed", "4"],
        ["--set", "model.width=99"],
        ["--set", "data.dataset=grid-25"],
        ["--set", "train.batch_size=4"],
        ["--preset", "ring-8"],
        ["--restart", "--steps", "9"],
    ):
        rc = main(["train", "--resume", str(run), *argv])
        assert_one_line_error(rc, capsys)
        assert tree_state(run) == before, argv
        assert run.stat().st_mtime_ns == folder_time, argv  # lock.json made and removed changed it
    edited["model"]["width"] = 99
    (run / "config.json").write_text(json.dumps(edited))
    before = tree_state(run)
    rc = main(["train", "--resume", str(run), "--steps", "9"])
    assert "model.width (config.json differs from the checkpoint)" in assert_one_line_error(rc, capsys)
    assert tree_state(run) == before


def manifest_mutations(manifest: dict, rng: random.Random, tmp_path: Path) -> list[tuple[str, object]]:
    spec = manifest["spec"]
    sparse = tmp_path / "sparse.pt"
    with open(sparse, "wb") as fh:
        fh.truncate(1 << 40)  # 1 TB that takes no disk: hashing it would take an hour
    cases = [
        ("not a dict", [1]),
        ("no checkpoint", {k: v for k, v in manifest.items() if k != "checkpoint"}),
        ("newer version", {**manifest, "version": 99}),
        ("version text", {**manifest, "version": "1"}),
        ("no version", {k: v for k, v in manifest.items() if k != "version"}),
        ("checkpoint number", {**manifest, "checkpoint": 5}),
        ("sha short", {**manifest, "checkpoint_sha256": "ab"}),
        ("sha list", {**manifest, "checkpoint_sha256": [1]}),
        ("checkpoint dev zero", {**manifest, "checkpoint": "/dev/zero"}),
        ("checkpoint folder", {**manifest, "checkpoint": str(tmp_path)}),
        ("checkpoint sparse TB", {**manifest, "checkpoint": str(sparse)}),
        ("checkpoint missing", {**manifest, "checkpoint": "nope.pt"}),
        ("checkpoint NUL", {**manifest, "checkpoint": "pla\u0000in.pt"}),
        ("checkpoint escape", {**manifest, "checkpoint": "\u001b[2Jred.pt"}),
        ("spec list", {**manifest, "spec": [1]}),
        ("spec unknown field", {**manifest, "spec": {**spec, "x": 1}}),
        ("edit not dict", {**manifest, "spec": {**spec, "edit": 3}}),
        ("raw_values superscript", {**manifest, "spec": {**spec, "edit": {"raw_values": {"\u00b2": 1.0}}}}),
        ("raw_values 5,000 digits", {**manifest, "spec": {**spec, "edit": {"raw_values": {"9" * 5000: 1.0}}}}),
    ]
    for key, values in (
        ("count", ["x", -1, 0, 10**9, 2.5, None]),
        ("mode", [3, "nope", None]),
        ("seed", [-1, "x", 2**70]),
        ("scale", [3, "2", 0]),
        ("sweep_range", ["x", float("inf")]),
        ("directions", ["x", [[1.0] * 3], [["a"]], [[0.0] * 24] * 2000]),
        ("direction_index", [-1, "x"]),
        ("a", [[1.0, 2.0], "x", [float("nan")] * 24]),
        (
            "edit",
            [
                {"seed": "x"},
                {"truncation": -0.5},
                {"raw_values": {"999": 1.0}},
                {"raw_values": {"x": 1.0}},
                {"direction_values": [1.0] * 5},
            ],
        ),
    ):
        for value in rng.sample(values, k=min(3, len(values))):
            cases.append((f"spec.{key}={value!r:.30}", {**manifest, "spec": {**spec, key: value}}))
    return cases


def test_bad_manifests_are_refused_in_one_line(small_checkpoint, tmp_path, capsys):
    rng = random.Random(SEED + 3)
    image_set = write_image_set(
        load_generator(small_checkpoint), ImageSetSpec(count=2), tmp_path / "set", checkpoint=small_checkpoint
    )
    manifest = json.loads((image_set / "manifest.json").read_text())
    texts = [(label, json.dumps(m).encode()) for label, m in manifest_mutations(manifest, rng, tmp_path)]
    texts += [("deep", b"[" * 100_000), ("not UTF-8", b"\xff\xfe{"), ("digits", b'{"a": ' + b"1" * 5000 + b"}")]
    for i, (label, text) in enumerate(texts):
        path = tmp_path / f"m{i}.json"
        path.write_bytes(text)
        rc = main(["sample", "--manifest", str(path), "--out", str(tmp_path / f"out{i}")])
        line = assert_one_line_error(rc, capsys)
        assert not (tmp_path / f"out{i}").exists(), label
        assert "recursion" not in line and "codec" not in line, line  # Python's words, not the file's fault
        said = {"deep": "its JSON is nested too deeply", "not UTF-8": "it is not UTF-8 text"}.get(label)
        assert said is None or line.endswith(said), line


METRIC_LINES = [
    '{"step": "x", "loss_d": 1}',
    '{"step": 1.5, "loss_d": 1}',
    '{"step": null}',
    '{"step": true}',
    '{"step": 3, "event": "quality"}',
    '{"step": 3, "event": "quality", "frechet": "x"}',
    '{"step": 3, "event": "modes", "modes": 8}',
    '{"step": 3, "event": "change", "lr_g": "x"}',
    '{"step": 3, "loss_d": "x"}',
    '{"step": 3, "loss_d": [1]}',
    "[1, 2]",
    "{",
    "\xff",
    "1e999",
    '{"step": ' + "9" * 5000 + "}",
    "[" * 50_000,
    '{"step": -1, "loss_d": 1}',
]


def test_bad_metrics_lines_are_skipped(trained_run, tmp_path):
    rng = random.Random(SEED + 4)
    run = RunDirectory(tmp_path / "run")
    run.path.mkdir()
    (run.path / "config.json").write_bytes((trained_run / "config.json").read_bytes())
    good = (trained_run / "metrics.jsonl").read_text().splitlines()
    lines = list(good)
    for bad in METRIC_LINES:  # between the good ones, which keep their order
        lines.insert(rng.randint(0, len(lines)), bad)
    run.metrics_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    stats_steps = [json.loads(line)["step"] for line in good if "event" not in json.loads(line)]
    assert stats_steps == [1, 2, 3, 4]
    assert [s.step for s in run.read_metrics()] == stats_steps
    for event in ("quality", "modes", "change"):
        assert all(isinstance(r["step"], int) for r in run.read_events(event))
    run.truncate_metrics(2)
    assert [s.step for s in run.read_metrics()] == [1, 2]
    run.read_config()  # config.json untouched by what was done to the log
