"""A tiny trained PyTorch network shared by the pytorch flavor tests (torch imports once)."""

from __future__ import annotations

import os

import numpy as np
import pytest

if os.environ.get("CI") == "true":
    import torch  # the dev extra installs torch: in CI a missing torch is a failure
else:
    torch = pytest.importorskip("torch")


class TinyNet(torch.nn.Module):
    """Four features in, two scores out; importable, so plain pickle can save it."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = torch.nn.Sequential(
            torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2)
        )

    def forward(self, x):  # type: ignore[no-untyped-def]
        return self.layers(x)


def features(rows: int = 32, seed: int = 0) -> np.ndarray:
    """Float32 inputs for TinyNet."""
    return np.random.default_rng(seed).normal(size=(rows, 4)).astype(np.float32)


def trained_net() -> TinyNet:
    """A TinyNet trained for a few steps (deterministic), in eval mode."""
    torch.manual_seed(0)
    net = TinyNet()
    x = torch.from_numpy(features(64))
    y = torch.stack([x.sum(1), x[:, 0] - x[:, 1]], dim=1)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.05)
    for _ in range(20):
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(net(x), y).backward()
        optimizer.step()
    return net.eval()


def predict(net: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    """The network's predictions on x as numpy."""
    with torch.no_grad():
        return net(torch.from_numpy(x)).numpy()
