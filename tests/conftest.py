"""Fixtures shared by several test directories (pytest finds this file for every test below it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from restorekit.models import build_model
from restorekit.weights import save_model


@pytest.fixture(scope="session", autouse=True)
def one_thread() -> Iterator[None]:
    """Every test runs with one intra-op thread: the tests use tiny tensors, where a second
    spinning thread only costs time (and far more on a busy 2-core machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_model_file(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """A function ``(name, file_name, **kwargs) -> Path`` saving a random-weight model (seed 0)."""

    def save(name: str, file_name: str, **kwargs: Any) -> Path:
        torch.manual_seed(0)
        folder = tmp_path_factory.mktemp("models")
        return save_model(folder / file_name, build_model(name, **kwargs), name=name, kwargs=kwargs)

    return save
