"""The learning-dynamics helpers (ibbook.dynamics) and their verdict rule
(ibbook.sources.s001.dynamics): each on a right and a wrong input."""
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from ibbook import dynamics as dyn
from ibbook import fourier, models
from ibbook.sources import BY_ID, protocol as P, s001

ROOT = Path(__file__).resolve().parent.parent
EPS = s001.PGD_EPS


def _waves(n, k, seed=0):
    """``n`` images, each a cosine of frequency ``k = (ky, kx)`` (cycles per image) with a random
    phase, in every channel: all spectral energy at radius ``hypot(k)`` and one orientation."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:32, :32]
    ph = rng.uniform(0, 2 * np.pi, n)[:, None, None]
    w = np.cos(2 * np.pi * (k[0] * yy + k[1] * xx) / 32 + ph)
    return torch.tensor(np.broadcast_to(w[:, None], (n, 3, 32, 32)).copy(), dtype=torch.float32) * 0.01


def test_spectral_parts_pool_to_the_fourier_functions():
    x = np.random.default_rng(0).standard_normal((5, 3, 32, 32))
    parts = dyn.spectral_parts(x)
    assert parts["energy"].shape == (5,) and parts["sectors"].shape == (5, dyn.N_SECTORS)
    assert dyn.pooled_kr(parts) == pytest.approx(fourier.mean_radial_frequency(x), rel=1e-12)
    _, ang = fourier.angular_energy(x[[1, 3]], n_bins=dyn.N_SECTORS)
    assert dyn.pooled_tv(parts, [1, 3]) == pytest.approx(0.5 * np.abs(ang - 1 / 12).sum(), rel=1e-12)
    wave = dyn.spectral_parts(_waves(4, (3, 4)))
    assert dyn.pooled_kr(wave) == pytest.approx(5.0, rel=1e-9)
    assert dyn.pooled_tv(wave) == pytest.approx(1 - 1 / 12)  # one sector holds everything
    with pytest.raises(ValueError, match=r"delta of shape \(3, 32, 32\) is not accepted"):
        dyn.spectral_parts(np.ones((3, 32, 32)))


def test_bootstrap_interval_and_errors():
    v = np.random.default_rng(1).normal(2.0, 1.0, 400)
    b = dyn.bootstrap(lambda i: float(v[i].mean()), len(v), n_boot=500, seed=3)
    assert b["estimate"] == pytest.approx(v.mean()) and b["lo"] < b["estimate"] < b["hi"]
    assert b["hi"] - b["lo"] == pytest.approx(2 * 1.645 / np.sqrt(400), rel=0.25)
    assert b == dyn.bootstrap(lambda i: float(v[i].mean()), len(v), n_boot=500, seed=3)
    with pytest.raises(ValueError, match="n_boot=10 is not accepted"):
        dyn.bootstrap(lambda i: 0.0, 10, n_boot=10)
    with pytest.raises(ValueError, match="level=1.5 is not accepted"):
        dyn.bootstrap(lambda i: 0.0, 10, level=1.5)


def _snap(epoch, n, n_correct, n_success, n_transfer, norm, k, seed, n_noise=0):
    """A snapshot whose first ``n_correct`` images are correct, the first ``n_success`` of them
    attacked by PGD, ``n_transfer`` by the final network's PGD and ``n_noise`` by random noise."""
    correct = np.arange(n) < n_correct
    delta = _waves(n, k, seed) if k else torch.randn(n, 3, 32, 32, generator=torch.Generator().manual_seed(seed))
    return dyn.SnapshotAttacks(epoch, correct, np.arange(n) < n_success, delta,
                               np.full(n, 10 * norm), np.full(n, norm), delta.clone(),
                               np.arange(n) < n_transfer, np.arange(n) < n_noise)


def _paths(own_gap=0.0, final_gap=0.2, n=200):
    rng = np.random.default_rng(0)
    gaps = {0: 0.0, "0, own": own_gap, 3: final_gap}
    return {e: {"adversarial": {q: rng.uniform(0, 0.1, n) + g for q in dyn.PATH_MEASURES},
                "random": {q: rng.uniform(0, 0.1, n) for q in dyn.PATH_MEASURES}}
            for e, g in gaps.items()}


def _synthetic(final_k=None, first_k=(1, 0), n_correct0=60, n_success0=0, acc=0.9, n_noise0=0,
               own_gap=0.0):
    """Snapshots 0-3 of 200 images shaped as the paper describes (success among correct rising
    from 0 with accuracy, the final network's perturbations fitting epoch 1 worse than epoch 2;
    after epoch 1 one low frequency in one orientation, at the end white noise: higher and
    spread over all angles; or, with other arguments, the wrong way round), paths at 0 (with the
    initial network's own perturbations at gap ``own_gap``) and 3, and the result dict of a run
    at accuracy ``acc``."""
    n = 200
    snaps = {0: _snap(0, n, n_correct0, n_success0, 0, 0.05, None, 0, n_noise0),
             1: _snap(1, n, 120, 110, 30, 0.03, first_k, 1, 5),
             2: _snap(2, n, 160, 150, 110, 0.02, None, 3, 2),
             3: _snap(3, n, 180, 175, 175, 0.01, final_k, 2)}
    rec = dyn.claim_records(snaps, _paths(own_gap), eps=EPS, n_boot=300, seed=0)
    return {"claims": rec, "final_test_accuracy": acc, "n_test": 10000}


def _reviewers_world():
    """The reviewer's counter-example: 90 % of the correctly classified images attackable at
    every epoch, initialisation included, while the accuracy rises; the final network's
    perturbations uniformly weaker (60 % of the correct images) at every snapshot; no noise
    flips. Neither 'rises with accuracy' nor 'the final network lags' may hold here."""
    n = 200
    snaps = {e: _snap(e, n, c, int(0.9 * c), int(0.6 * c) if e < 3 else int(0.9 * c), 0.05 / (e + 1),
                      None, e) for e, c in ((0, 60), (1, 120), (2, 160), (3, 180))}
    rec = dyn.claim_records(snaps, _paths(), eps=EPS, n_boot=300, seed=0)
    return {"claims": rec, "final_test_accuracy": 0.92, "n_test": 10000}


def _verdicts(results):
    return {cid: BY_ID[cid].check(results) for cid in dyn.CLAIM_IDS}


def test_claims_hold_on_the_papers_picture_and_init_views_are_not_graded():
    got = _verdicts(_synthetic())
    for cid, out in got.items():
        if cid.endswith(".init"):
            assert out.verdict == P.INCONCLUSIVE and s001.NOT_THE_SOURCE in out.reasons, cid
        else:
            assert out.verdict == P.HOLDS, (cid, out)
    assert "0 of 60 correct images" in got["001.s3.1.absent-at-init"].ours
    assert "baseline: the network at initialisation" in got["001.fig3.l2-shrinks"].fair


def test_claims_fail_on_the_wrong_picture():
    # final perturbations at lower frequency than after epoch 1: the spectral claims fail
    got = _verdicts(_synthetic(final_k=(1, 0), first_k=(8, 8)))
    assert got["001.fig2b.pgd-higher.epoch1"].verdict == P.FAILS
    assert got["001.fig2b.deepfool-higher.epoch1"].verdict == P.FAILS
    # the untrained network attacked on 40 of its 60 correct images: not absent
    out = _verdicts(_synthetic(n_success0=40))["001.s3.1.absent-at-init"]
    assert out.verdict == P.FAILS and "40 of 60" in out.ours
    # the untrained network's 40 attacked images are flipped by random noise too: absent holds
    out = _verdicts(_synthetic(n_success0=40, n_noise0=40))["001.s3.1.absent-at-init"]
    assert out.verdict == P.HOLDS and "0 of 60" in out.ours and "random sign noise 40 of 60" in out.ours
    # too few correct images at initialisation to decide: inconclusive, with the n needed
    out = _verdicts(_synthetic(n_correct0=5))["001.s3.1.absent-at-init"]
    assert out.verdict == P.INCONCLUSIVE and "n >= 36 would decide" in out.reasons[0]


def test_a_network_far_below_the_paper_makes_every_row_inconclusive():
    for cid, out in _verdicts(_synthetic(acc=0.5)).items():
        assert out.verdict == P.INCONCLUSIVE, cid
        assert any("under-trained" in r for r in out.reasons), (cid, out.reasons)


def test_an_interval_containing_zero_is_inconclusive():
    res = _synthetic()
    res["claims"]["001.fig2a.final-lags"].update(estimate=0.01, lo=-0.02, hi=0.04)
    out = BY_ID["001.fig2a.final-lags"].check(res)
    assert out.verdict == P.INCONCLUSIVE and "contains 0 at n = 200" in out.reasons[0]


def test_claim_records_name_what_is_missing():
    res_snaps = {e: _snap(e, 10, 5, 2, 1, 0.1, None, e) for e in (0, 2, 3)}
    with pytest.raises(ValueError, match=r"epochs \[1\] are not accepted"):
        dyn.claim_records(res_snaps, {0: {}, 3: {}}, eps=EPS)
    res_snaps[1] = _snap(1, 10, 5, 2, 1, 0.1, None, 1)
    res_snaps[1].transfer_success = None
    with pytest.raises(ValueError, match="transfer_success is not set"):
        dyn.claim_records(res_snaps, {0: {}, 3: {}}, eps=EPS)
    res_snaps[1] = _snap(1, 10, 5, 2, 1, 0.1, None, 1)
    res_snaps[2].noise_success = None
    with pytest.raises(ValueError, match="noise_success is not set; call add_noise_baseline"):
        dyn.claim_records(res_snaps, {0: {}, 3: {}}, eps=EPS)
    del res_snaps[2]  # one snapshot between 0 and the final one: the lag has no trend
    with pytest.raises(ValueError, match="another before the final one"):
        dyn.claim_records(res_snaps, {0: {}, 3: {}}, eps=EPS)


def test_the_reviewers_counter_example_does_not_hold():
    """A world contradicting the paper: every claim restated so that it cannot hold there (the
    old statistics, slope of the success over *all* images and own minus transferred success,
    held in it: 0.9 and +0.3)."""
    got = _verdicts(_reviewers_world())
    for cid in ("001.fig2a.rises-with-accuracy", "001.fig2a.final-lags"):
        assert got[cid].verdict != P.HOLDS, (cid, got[cid])
    out = got["001.s3.1.absent-at-init"]
    assert out.verdict == P.FAILS and "54 of 60" in out.ours, out
    # the old statistics would have passed: they are arithmetic, not evidence
    snaps_all = [c / 200 for c in (60, 120, 160, 180)]
    assert np.polyfit(snaps_all, [0.9 * a for a in snaps_all], 1)[0] > 0.8


def test_breakpoints_are_graded_on_the_stronger_initial_baseline():
    # the initial network along its own perturbations already shows the final network's gap
    got = _verdicts(_synthetic(own_gap=0.2))
    for cid in ("001.fig1.relu-changes", "001.fig1.roughness"):
        assert got[cid].verdict != P.HOLDS, (cid, got[cid])
        assert "own PGD perturbations" in got[cid].ours and "view, not graded" in got[cid].ours
    # and a stronger own baseline than the final gap makes it fail
    got = _verdicts(_synthetic(own_gap=0.4))
    assert got["001.fig1.relu-changes"].verdict == P.FAILS


def test_random_sign_flips_on_a_known_margin():
    class Pixel(torch.nn.Module):  # class 0 iff the first pixel exceeds 0.5
        def forward(self, x):
            v = x[:, 0, 0, 0] - 0.5
            return torch.stack([v, torch.zeros_like(v)], 1)
    x = torch.full((3, 3, 4, 4), 0.6)
    x[0, 0, 0, 0], x[2, 0, 0, 0] = 0.51, 0.3  # margin 0.01 < eps; far; misclassified
    y = torch.zeros(3, dtype=torch.long)
    got = dyn.random_sign_flips(Pixel(), x, y, eps=EPS, n_draws=10, seed=0)
    assert got.tolist() == [True, False, False]  # image 2 is not correct: never a success
    assert not dyn.random_sign_flips(Pixel(), x, y, eps=0.0, n_draws=10).any()
    with pytest.raises(ValueError, match="n_draws=0 is not accepted"):
        dyn.random_sign_flips(Pixel(), x, y, eps=EPS, n_draws=0)


def test_committed_medium_file_is_graded_as_before():
    """A result file without claim records (the committed medium run) keeps its old grading."""
    r = json.loads((ROOT / "data/results/learning_dynamics/medium.json").read_text())["results"]
    assert "claims" not in r
    table = dyn.verdict_table(r)
    assert (table.verdict == P.INCONCLUSIVE).all()
    assert table.loc["001.fig2a.rises-with-accuracy", "ours"].startswith("effect seen")


def test_attack_snapshot_on_a_tiny_resnet(tmp_path, monkeypatch):
    monkeypatch.setenv("IBBOOK_ARTIFACTS", str(tmp_path))
    torch.manual_seed(0)
    model = models.build_model("resnet18", width=1).eval()
    x, y = torch.rand(6, 3, 32, 32), torch.arange(6) % 10
    kw = dict(eps=EPS, rel_step=0.1, pgd_steps=2, fmn_steps=3, df_steps=2, df_candidates=3)
    a = dyn.attack_snapshot(model, x, y, epoch=0, n_min=4, **kw)
    assert a.pgd_delta.shape == (6, 3, 32, 32) and a.df_delta.shape == (4, 3, 32, 32)
    assert a.l2.shape == a.linf.shape == (4,)
    assert float(a.pgd_delta.abs().max()) <= EPS + 1e-6
    assert not (a.pgd_success & ~a.correct).any()  # a success needs a correct clean image
    dyn.add_transfer({0: a, 1: a}, {0: model, 1: model}, x, y)
    dyn.add_noise_baseline({0: a}, {0: model}, x, y, eps=EPS)
    assert a.noise_success.shape == (6,) and not (a.noise_success & ~a.correct).any()
    assert np.array_equal(a.transfer_success, a.pgd_success)  # own perturbations, same model
    table = dyn.summary_table({0: a}, {0: 0.1}, EPS)
    assert list(table.index) == [0] and table.loc[0, "test accuracy"] == 0.1
    first = dyn.attack_snapshot(model, x, y, epoch=0, n_min=4, cache_key={"m": "tiny"}, **kw)
    again = dyn.attack_snapshot(model, x, y, epoch=0, n_min=4, cache_key={"m": "tiny"}, **kw)
    assert len(list(tmp_path.rglob("*.pt"))) == 1  # the second call read the cache
    assert torch.equal(first.pgd_delta, again.pgd_delta) and np.array_equal(first.correct, again.correct)
    with pytest.raises(ValueError, match="n_min=7 is not accepted; use 1 to 6"):
        dyn.attack_snapshot(model, x, y, epoch=0, n_min=7, **kw)
