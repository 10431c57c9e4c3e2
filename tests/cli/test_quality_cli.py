"""Quality scoring through the session (metrics.jsonl, best.pt), `ganstudio eval` and `bench quality`."""

import json
import re

import pytest
import torch

from ganstudio.cli import main
from ganstudio.core.checkpoint import load_checkpoint
from ganstudio.core.runlog import RunDirectory
from ganstudio.core.session import TrainingSession
from tests.conftest import tiny_image_config, tiny_toy_config


def quality_config(steps=10):
    cfg = tiny_image_config(steps=steps)
    cfg.quality.every = 5
    cfg.quality.samples = 60
    return cfg


def test_a_run_scores_itself_and_keeps_its_best_checkpoint(tmp_path):
    run = RunDirectory.at(tmp_path / "run")
    session = TrainingSession.start(quality_config(), run)
    reports = [p for p in (session.advance() for _ in range(10)) if p.quality is not None]
    assert [r.quality.samples for r in reports] == [60, 60]
    events = run.read_events("quality")
    assert [e["step"] for e in events] == [5, 10]
    assert {"frechet", "kid", "precision", "recall", "density", "coverage", "memorisation_ratio"} <= set(events[0])
    best = min(events, key=lambda e: e["frechet"])
    assert [e["best"] for e in events] == [True, best["step"] == 10]
    assert load_checkpoint(run.best_checkpoint)["step"] == best["step"]

    session.save_checkpoint()
    session.close()
    again = TrainingSession.resume(run, total_steps=15)
    assert again.best_frechet == best["frechet"]  # a continued run only keeps a better best.pt


def test_a_best_checkpoint_that_could_not_be_written_is_tried_again_at_the_next_score(tmp_path, monkeypatch):
    """The step that scores a new best is measured before best.pt is written, so a window shows its
    figures even when the save fails; the best score moves only once best.pt holds it, so the next score
    as good is saved."""
    import ganstudio.core.session as session_module
    from ganstudio.core.checkpoint import CheckpointError

    run = RunDirectory.at(tmp_path / "run")
    session = TrainingSession.start(quality_config(), run)
    for _ in range(4):
        session.advance()
    real = session_module.save_checkpoint

    def full_disk(state, path):
        raise CheckpointError(f"could not save the checkpoint {path}: the disk is full")

    monkeypatch.setattr(session_module, "save_checkpoint", full_disk)
    progress = session.step_and_measure()  # step 5: scored, a new best, nothing written yet
    assert progress.quality is not None and progress.best and progress.stats[-1].step == 5
    with pytest.raises(CheckpointError):
        session.save_due_checkpoint()
    assert session.best_frechet == float("inf") and not run.best_checkpoint.exists()
    monkeypatch.setattr(session_module, "save_checkpoint", real)  # room made
    for _ in range(5):
        progress = session.advance()
    assert progress.best and session.best_frechet == progress.quality.frechet
    assert load_checkpoint(run.best_checkpoint)["step"] == 10


def test_train_prints_quality_lines(tmp_path, capsys):
    path = tmp_path / "cfg.json"
    path.write_text(quality_config().to_json())
    assert main(["train", "--config", str(path), "--out", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    assert "step 5: FD" in out and "best so far" in out


def test_eval_prints_every_metric(small_checkpoint, tmp_path, capsys):
    out = tmp_path / "scores.json"
    assert main(["eval", str(small_checkpoint), "--n", "60", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    for name in ("Fréchet distance", "KID", "precision", "recall", "density", "coverage", "memorisation"):
        assert name in printed
    record = json.loads(out.read_text())
    assert record["samples"] == 60 and record["frechet"] > 0


def test_eval_refuses_toy_checkpoints_and_missing_inception_weights(small_checkpoint, tmp_path, capsys, monkeypatch):
    from ganstudio.core.checkpoint import save_checkpoint
    from ganstudio.core.trainer import Trainer

    toy = tmp_path / "toy.pt"
    save_checkpoint(Trainer(tiny_toy_config()).state_dict(), toy)
    assert main(["eval", str(toy), "--n", "60"]) == 2
    assert "for image datasets" in capsys.readouterr().err
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty-cache"))
    assert main(["eval", str(small_checkpoint), "--n", "60", "--inception"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ganstudio: error: Inception v3 weights are not on disk") and "--download-inception" in err


def test_inception_fid_from_a_weights_file(small_checkpoint, tmp_path, capsys):
    """A weights file with torchvision's layout (random values here: the real ones are not on this machine)."""
    from torchvision.models import inception_v3

    weights = tmp_path / "inception_v3_google-test.pth"
    torch.save(inception_v3(weights=None, aux_logits=True, init_weights=False).state_dict(), weights)
    out = tmp_path / "scores.json"
    assert (
        main(["eval", str(small_checkpoint), "--n", "50", "--inception-weights", str(weights), "--json", str(out)]) == 0
    )
    assert "Inception FID" in capsys.readouterr().out
    assert json.loads(out.read_text())["inception_fid"] >= 0


def test_bench_quality_prints_a_table_beside_the_published_fids(capsys, tmp_path):
    out = tmp_path / "quality.json"
    assert (
        main(
            [
                "bench",
                "quality",
                "--preset",
                "fashion-dcgan",
                "--minutes",
                "0.01",
                "--samples",
                "60",
                "--json",
                str(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "fashion-dcgan" in printed and "Lucic et al. 2018" in printed and "26.5" in printed
    result = json.loads(out.read_text())["results"][0]
    assert result["preset"] == "fashion-dcgan" and result["steps"] >= 1


def test_a_conditional_run_prints_its_label_accuracy_and_intra_fd(tmp_path, capsys):
    cfg = quality_config()
    cfg.model.conditional = "projection"
    cfg.quality.samples = 200  # 20 a class: enough for a class's Fréchet distance to be reported
    path = tmp_path / "cfg.json"
    path.write_text(cfg.to_json())
    assert main(["train", "--config", str(path), "--out", str(tmp_path / "run")]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("step 5: FD"))
    assert re.search(r"label accuracy \d+\.\d %, mean intra-FD \d+\.\d\d", line), line


def test_a_file_that_is_no_inception_weights_is_refused_before_the_run_trains(small_checkpoint, tmp_path, capsys):
    """Found only at the first quality check before: minutes of training, then an error."""
    from torchvision.models import inception_v3

    from ganstudio.core.quality.inception import InceptionError, check_inception_file

    good = tmp_path / "inception_v3_google-test.pth"
    torch.save(inception_v3(weights=None, aux_logits=True, init_weights=False).state_dict(), good)
    check_inception_file(good)
    (tmp_path / "garbage.pth").write_text("not weights")
    for wrong, says in ((tmp_path / "garbage.pth", "cannot read it"), (small_checkpoint, "no Conv2d_1a_3x3")):
        with pytest.raises(InceptionError, match=says):
            check_inception_file(wrong)
    out = tmp_path / "run"
    inception = ["--set", "quality.inception=true", "--set", f"quality.inception_weights={tmp_path / 'garbage.pth'}"]
    assert main(["train", "--preset", "fashion-fast", *inception, "--steps", "30", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "quality.inception_weights" in err[0] and not out.exists()


def test_inception_weights_that_would_unpack_in_memory_are_refused(tmp_path):
    """The weights' path can come from a run's config.json: a zip of compressed entries (torch.save stores
    them) would be unpacked whole by torch.load before any check."""
    import zipfile

    from ganstudio.core.quality.inception import InceptionError, check_inception_file

    bomb = tmp_path / "inception_v3_google-bomb.pth"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/data.pkl", b"\0" * 10_000_000)
    with pytest.raises(InceptionError, match="would unpack"):
        check_inception_file(bomb)


def test_eval_naming_the_runs_own_data_keeps_its_training_subset(tmp_path, capsys):
    """`--dataset fashion-mnist` on a data.limit run measured memorisation against all 10,000 images."""
    from ganstudio.core.checkpoint import save_checkpoint
    from ganstudio.core.trainer import Trainer

    cfg = tiny_image_config(steps=5)
    cfg.data.limit = 300
    checkpoint = tmp_path / "latest.pt"
    save_checkpoint(Trainer(cfg).state_dict(), checkpoint)
    for named in ([], ["--dataset", "fashion-mnist"]):
        assert main(["eval", str(checkpoint), "--n", "60", *named]) == 0
        said = capsys.readouterr().err
        assert "memorisation: against the 300 images G trained on" in said
        assert "features of 60 real images to compare with 60 generated, and of 300 for the memorisation" in said
    other = ["--dataset", "fashion-mnist", "--data-path", str(tmp_path)]  # not the data it trained on: all of it
    assert main(["eval", str(checkpoint), "--n", "60", *other]) == 0
    assert "memorisation: against all of them" in capsys.readouterr().err


def test_a_resume_whose_config_names_no_inception_weights_is_refused_before_it_trains(tmp_path, capsys):
    """It trained to its first score, appending steps and pictures, and only then refused the file."""
    from tests.conftest import one_error_line

    cfg_path = tmp_path / "cfg.json"
    cfg_path.write_text(quality_config(steps=5).to_json())
    run = tmp_path / "run"
    assert main(["train", "--config", str(cfg_path), "--out", str(run)]) == 0
    on_disk = json.loads((run / "config.json").read_text())
    not_weights = tmp_path / "notes.txt"
    not_weights.write_text("not a weights file")
    on_disk["quality"].update(inception=True, inception_weights=str(not_weights))
    (run / "config.json").write_text(json.dumps(on_disk))
    before = {p.relative_to(run): p.read_bytes() for p in run.rglob("*") if p.is_file()}
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--steps", "10"]) == 2
    assert "quality.inception_weights" in one_error_line(capsys)
    assert {p.relative_to(run): p.read_bytes() for p in run.rglob("*") if p.is_file()} == before


def test_a_window_sees_the_scored_step_and_its_generator_before_the_score_takes_its_seconds(tmp_path):
    """At a run's end the window showed 98 of 100 steps and "Running" through the score, and its explorer the
    generator of step 0."""
    from ganstudio.core.events import QualityScored, Scoring, Snapshot, StatsBatch
    from ganstudio.core.supervisor import Supervisor

    run = RunDirectory.at(tmp_path / "run")
    cfg = quality_config(steps=5)
    cfg.train.log_every = 100
    events = list(Supervisor(lambda: TrainingSession.start(cfg, run), gui=True).run())
    scoring = next(i for i, e in enumerate(events) if isinstance(e, Scoring))
    scored = next(i for i, e in enumerate(events) if isinstance(e, QualityScored))
    before = events[:scoring]
    assert events[scoring].step == 5 and scoring < scored
    assert [e for e in before if isinstance(e, StatsBatch)][-1].stats[-1].step == 5
    assert [e.step for e in before if isinstance(e, Snapshot)][-1] == 5


def test_eval_against_a_small_folder_says_how_many_real_images_it_compares(tmp_path, capsys):
    """It said "features of 69 real images" for a folder of 46: a count of feature passes, not of images."""
    from PIL import Image

    from ganstudio.core.checkpoint import save_checkpoint
    from ganstudio.core.trainer import Trainer

    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(46):
        Image.new("L", (28, 28), color=i * 5).save(folder / f"{i:02d}.png")
    checkpoint = tmp_path / "latest.pt"
    save_checkpoint(Trainer(tiny_image_config(steps=5)).state_dict(), checkpoint)
    assert main(["eval", str(checkpoint), "--n", "50", "--dataset", "image-folder", "--data-path", str(folder)]) == 0
    said = capsys.readouterr().err
    assert "features of 23 real images to compare with 50 generated (half of the 46 there are), and of 46 " in said
    few = tmp_path / "three"  # said "features of 1 real images", then training's advice (quality.every=0)
    few.mkdir()
    for i in range(3):
        Image.new("L", (28, 28), color=i * 5).save(few / f"{i}.png")
    assert main(["eval", str(checkpoint), "--n", "50", "--dataset", "image-folder", "--data-path", str(few)]) == 2
    said = capsys.readouterr().err
    assert said.strip().splitlines()[-1] == (
        f"ganstudio: error: quality scores need at least 20 real images; {few} holds 3"
    )
    assert "features of" not in said
