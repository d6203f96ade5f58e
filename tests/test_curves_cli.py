"""``bench curves``: sweeps the levels into the store, then draws Figure 3."""

from __future__ import annotations

from benchmark.cli import main
from benchmark.cli.curves import _DEFAULT_SIGMAS
from benchmark.report.figures import CURVE_SIGMAS
from benchmark.engine.store import Store


def test_default_levels_are_the_figures_levels():
    assert tuple(float(s) for s in _DEFAULT_SIGMAS) == CURVE_SIGMAS
    assert CURVE_SIGMAS[0] == 0.02 and CURVE_SIGMAS[-1] == 0.2


def test_curves_sweep_then_draw(tmp_path, capsys):
    store = tmp_path / "s.sqlite"
    argv = ["curves", "--noise", "gaussian", "--sigma", "0.05", "0.1", "--methods", "tv",
            "--limit", "2", "--store", str(store), "--out", str(tmp_path), "--jobs", "1",
            "--quiet"]
    assert main(argv) == 0
    with Store(store) as opened:
        cells = opened.frame()
    assert sorted(cells["sigma"].unique()) == [0.05, 0.1]
    assert len(cells) == 2 * 2 * 2  # levels x images x (noisy, tv)
    assert (tmp_path / "figures" / "curves-gaussian.png").stat().st_size > 10_000
    assert main([*argv, "--noise", "rician", "--sigma", "0.1", "--no-run"]) == 0
    assert "rician: the store holds 0 noise level(s)" in capsys.readouterr().out


def test_failed_cells_exit_1_and_a_level_where_all_failed_is_named(tmp_path, capsys):
    """A method failing at one level: the sweep exits 1, the curve skips that level and the
    caption says why; the other levels keep the same images."""
    from benchmark.core.registry import register, unregister

    @register("test-curve-gap", uses_sigma=False)
    def gap(image, noise):
        if noise.sigma > 0.07:
            raise ValueError("out of range")
        return image

    try:
        argv = ["curves", "--noise", "gaussian", "--sigma", "0.05", "0.1", "--methods",
                "test-curve-gap", "tv", "--limit", "2", "--store", str(tmp_path / "s.sqlite"),
                "--out", str(tmp_path), "--jobs", "1", "--quiet"]
        assert main(argv) == 1
        from benchmark.workflows import curves

        drawn = curves(noise=["gaussian"], sigma=["0.05", "0.1"], limit=2, run=False,
                       methods=["test-curve-gap", "tv"], store=tmp_path / "s.sqlite",
                       out=tmp_path)
    finally:
        unregister("test-curve-gap")
    out = capsys.readouterr().out
    assert "failed: test-curve-gap" in out and "out of range" in out
    assert (tmp_path / "figures" / "curves-gaussian.png").stat().st_size > 10_000
    (figure,) = drawn.figures
    assert "same N = 2 images" in figure.caption
    assert "test-curve-gap: every cell failed at sigma 0.1, not drawn there (ValueError)" \
        in figure.caption
