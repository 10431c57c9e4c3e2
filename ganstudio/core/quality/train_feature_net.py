"""Train the shipped feature network: python -m ganstudio.core.quality.train_feature_net

Trains on the 60,000-image training split (Debian's dataset-fashion-mnist, or --data FOLDER),
reports accuracy on the bundled 10,000-image split, and writes the weights with a card that
records their SHA-256 (checked at every load) and the accuracy reached.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ganstudio.core.atomic import atomic_write
from ganstudio.core.data.errors import DataError
from ganstudio.core.data.idx import read_idx
from ganstudio.core.data.images import bundled_fashion_images, bundled_fashion_labels, load_idx_folder
from ganstudio.core.paths import find_fashion_full
from ganstudio.core.quality.feature_net import CARD_NAME, WEIGHTS_NAME, FeatureNet, sha256_of

DEFAULT_OUT = Path(__file__).resolve().parents[3] / "resources" / "feature-net"


def to_unit_range(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images).float().div(127.5).sub(1.0)


def augment(batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random horizontal flips and shifts of up to 2 pixels: clothes are symmetric and centred."""
    flip = torch.rand(len(batch), generator=generator) < 0.5
    batch = torch.where(flip.view(-1, 1, 1, 1), batch.flip(-1), batch)
    padded = F.pad(batch, (2, 2, 2, 2), value=-1.0)
    dx, dy = torch.randint(0, 5, (2,), generator=generator).tolist()
    return padded[..., dy : dy + 28, dx : dx + 28]


@torch.no_grad()
def accuracy(net: FeatureNet, images: torch.Tensor, labels: torch.Tensor) -> float:
    net.eval()
    correct = sum(
        int((net(images[i : i + 1000]).argmax(1) == labels[i : i + 1000]).sum()) for i in range(0, len(images), 1000)
    )
    return correct / len(images)


def train(data: str | None, epochs: int, batch_size: int, seed: int, out: Path) -> dict[str, Any]:
    folder = find_fashion_full(data)
    if folder is None:
        raise DataError(f"no Fashion-MNIST training split in {data or '/usr/share/datasets/fashion-mnist'}")
    train_images = to_unit_range(load_idx_folder(str(folder)).images)
    train_labels = torch.from_numpy(read_idx(sorted(folder.glob("train-labels-idx1-ubyte*"))[0]).astype(np.int64))
    test_images = to_unit_range(bundled_fashion_images())
    test_labels = torch.from_numpy(bundled_fashion_labels().astype(np.int64))

    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    net = FeatureNet()
    steps_per_epoch = len(train_images) // batch_size
    optimizer = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=2e-3, total_steps=epochs * steps_per_epoch)
    started = time.perf_counter()
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(len(train_images), generator=generator)
        for i in range(steps_per_epoch):
            index = order[i * batch_size : (i + 1) * batch_size]
            loss: torch.Tensor = F.cross_entropy(net(augment(train_images[index], generator)), train_labels[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
        print(
            f"epoch {epoch + 1}/{epochs}: loss {loss.item():.3f}, test accuracy "
            f"{accuracy(net, test_images, test_labels):.4f} ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )

    out.mkdir(parents=True, exist_ok=True)
    weights = out / WEIGHTS_NAME
    atomic_write(weights, lambda tmp: torch.save(net.state_dict(), tmp))
    card = {
        "sha256": sha256_of(weights),
        "test_accuracy": accuracy(net, test_images, test_labels),
        "train_images": len(train_images),
        "test_images": len(test_images),
        "epochs": epochs,
        "batch_size": batch_size,
        "seed": seed,
        "feature_size": FeatureNet.num_features,
        "bytes": weights.stat().st_size,
        "trained": date.today().isoformat(),
        "torch": torch.__version__,
    }
    atomic_write(out / CARD_NAME, lambda tmp: Path(tmp).write_text(json.dumps(card, indent=2) + "\n"))
    for path in (weights, out / CARD_NAME):
        path.chmod(0o644)  # shipped files: readable by every user of an installed package
    return card


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ganstudio.core.quality.train_feature_net", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--data", help="folder with train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz]")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    try:
        card = train(args.data, args.epochs, args.batch_size, args.seed, args.out)
    except DataError as exc:
        print(f"train_feature_net: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(card, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
