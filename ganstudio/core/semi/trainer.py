"""The semi-supervised Trainer: the Trainer's step with D's K class logits and the labelled batch's
cross-entropy added to D's loss. Everything else (G's loss, feature matching, noise, augmentation,
checkpoints) is the Trainer's own, seeing D's realness logit logsumexp(l)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from ganstudio.core.config import ConfigError, RunConfig, check
from ganstudio.core.device import select_device
from ganstudio.core.models import build_models
from ganstudio.core.semi.data import SemiData, build_semi_data, split_digest
from ganstudio.core.semi.loss import realness, semi_d_loss
from ganstudio.core.semi.report import ClassifierReport
from ganstudio.core.semi.scoring import score_classifier
from ganstudio.core.trainer import Trainer
from ganstudio.core.wording import first_named

if TYPE_CHECKING:
    from ganstudio.core.distributed import RankGroup

CLASSIFIER_CLASSES = "classifier_classes"  # a semi-supervised checkpoint's key: the names of D's K outputs
SPLIT_DIGEST = "split_digest"  # and its labelled and held-out images': a resume must find the same ones


class SemiTrainer(Trainer):
    def __init__(
        self,
        config: RunConfig,
        semi: SemiData | None = None,
        device: torch.device | str | None = None,
        download: bool = True,
    ):
        """semi: the data, built from the config when not given (tests give it to show what reaches the loss);
        download as the Trainer's."""
        check(config)
        if not config.train.labelled_per_class:
            raise ValueError("a semi-supervised trainer needs train.labelled_per_class > 0")
        chosen = device if isinstance(device, torch.device) else select_device(device or config.train.device)
        self.semi = semi if semi is not None else build_semi_data(config, chosen, download)
        super().__init__(config, data=self.semi.unlabelled, device=chosen, download=download)

    def join(self, ranks: RankGroup) -> None:
        """Refused in any group: on one machine the config's rule says so first (the session sets its process count
        before its checks), but a group over several machines keeps its config's count, 1 here."""
        raise ConfigError([("perf.processes", f"a semi-supervised run trains in one process, not {ranks.world_size}")])

    def _networks(self) -> tuple[nn.Module, nn.Module]:
        return build_models(self.config, class_logits=len(self.semi.class_names))

    def _judge(
        self, D: Callable[..., torch.Tensor], x: torch.Tensor, labels: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        return realness(D(x).float()), None

    def _labelled_batch(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        idx = torch.randint(len(self.semi.labelled_targets), (n,), generator=self.rng, device=self.device)
        return self.semi.labelled_images[idx].float().div_(127.5).sub_(1.0), self.semi.labelled_targets[idx]

    def _d_loss(
        self,
        D: nn.Module,
        real: torch.Tensor,
        fake: torch.Tensor,
        forward: Callable[..., torch.Tensor] | None = None,
        labels: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        images, targets = self._labelled_batch(real.shape[0])
        judge = forward or D
        batches = [self._d_input(images), self._d_input(real), self._d_input(fake)]
        with self.fast.autocast():
            labelled, unlabelled, generated = self._judge_batches(judge, batches)
            loss = semi_d_loss(
                labelled,
                targets,
                unlabelled,
                generated,
                self.config.loss.label_smoothing,
                self.config.loss.class_balance,
            )
        return loss, realness(unlabelled), realness(generated)

    def _judge_batches(self, judge: Callable[..., torch.Tensor], batches: list[torch.Tensor]) -> list[torch.Tensor]:
        """D's class logits for each batch. A semi-supervised D judges each image on its own (no BatchNorm),
        so the three batches go through it as one: one pass of the weights instead of three. Minibatch
        standard deviation looks across the batch, where fakes would hide among reals: apart, then."""
        if self.config.model.minibatch_std:
            return [judge(x).float() for x in batches]
        return list(judge(torch.cat(batches)).float().split([len(x) for x in batches]))

    def held_out_report(self) -> ClassifierReport:
        return score_classifier(
            self.D,
            self.semi.held_out_images,
            self.semi.held_out_labels,
            self.semi.class_names,
            self.semi.split,
            self.device,
        )

    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            CLASSIFIER_CLASSES: list(self.semi.class_names),
            SPLIT_DIGEST: self._split_digest,
        }

    @functools.cached_property
    def _split_digest(self) -> str:
        s = self.semi
        return split_digest(s.labelled_images, s.labelled_targets, s.held_out_images, s.held_out_labels)

    def restore_problem(self, state: dict[str, Any]) -> str | None:
        saved = state.get(CLASSIFIER_CLASSES)
        if saved != list(self.semi.class_names):
            shown = first_named([str(name) for name in saved], 6) if isinstance(saved, list) else "none"
            return (
                f"the checkpoint's D classifies {shown or 'none'}, not the data's classes "
                f"({first_named(list(self.semi.class_names), 6)}): its outputs would change meaning"
            )
        if state.get(SPLIT_DIGEST, self._split_digest) != self._split_digest:  # checkpoints before it have none
            return (
                "the run's data has changed since this checkpoint: its labelled and held-out images are not the ones "
                "it trained and was scored on; train the changed data as a new run"
            )
        return None


def make_trainer(config: RunConfig, device: torch.device | str | None = None, download: bool = True) -> Trainer:
    """The trainer a config asks for: semi-supervised when train.labelled_per_class > 0."""
    if config.train.labelled_per_class:
        return SemiTrainer(config, device=device, download=download)
    return Trainer(config, device=device, download=download)
