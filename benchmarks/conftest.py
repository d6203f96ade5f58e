"""Speed suite: one thread per process, as in the runner's workers, so timings compare."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def one_thread():
    """Limit BLAS/OpenMP, OpenCV and PyTorch to one thread for the whole session."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        try:
            import cv2

            cv2.setNumThreads(1)
        except ImportError:
            pass
        try:
            import torch

            torch.set_num_threads(1)
        except ImportError:
            pass
        yield
