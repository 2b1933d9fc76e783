"""The registry of the sources' claims (ibbook.sources) and the verdict protocol: every
predicate on a passing and a failing synthetic result, the power of the Id test, the adequacy
gates, stable ids, and each paper number quoted in exactly one module."""
import dataclasses
import json
import math
import re
from pathlib import Path

import pytest
from statistics import NormalDist

from ibbook import scorecard, sources
from ibbook.sources import keys, protocol as P

ROOT = Path(__file__).resolve().parent.parent
INC, HOLDS, FAILS = P.INCONCLUSIVE, P.HOLDS, P.FAILS


@pytest.fixture
def results(tmp_path, monkeypatch):
    monkeypatch.setenv("IBBOOK_RESULTS", str(tmp_path))
    return tmp_path


def write(folder, chapter, scale, res):
    (folder / chapter).mkdir(parents=True, exist_ok=True)
    (folder / chapter / f"{scale}.json").write_text(json.dumps(
        {"record": {"scale": scale, "device": "cpu", "data_variants": {}}, "results": res}))


# --- power ----------------------------------------------------------------------------------

def test_id_test_power_matches_the_closed_form_and_the_issue():
    # effect 10 % of Id, shuffled std 1.3 Id / sqrt(N): z-shift 0.1 sqrt(N) / 1.3
    assert P.id_test_power(120) == pytest.approx(0.2112, abs=1e-3)
    assert P.id_test_power(60) == pytest.approx(0.1471, abs=1e-3)
    assert 0.10 < P.id_test_power(60) < P.id_test_power(120) < 0.25
    n = P.id_test_n_needed()
    assert P.id_test_power(n) >= 0.8 > P.id_test_power(n - 1)
    assert P.id_test_power(0) == 0.0
    # with no effect the power is the level
    assert P.id_test_power(100, effect=0.0) == pytest.approx(P.ALPHA)


def test_adequacy_gate():
    assert P.adequacy("m", 0.15)[1] and "near chance" in P.adequacy("m", 0.15)[1]
    assert P.adequacy("m", 0.47, 0.92)[1] and "under-trained" in P.adequacy("m", 0.47, 0.92)[1]
    assert P.adequacy("m", 0.85, 0.92)[1] is None
    assert P.adequacy("m", 0.35, None)[1] is None


# --- each predicate: a passing and a failing synthetic result --------------------------------

def _v(check, r, ctx=None):
    return check(r, ctx).verdict


def test_bound_close_close_or_sign_ordered_radii_both():
    b = P.bound(("a/x", "<", 1.0))
    assert _v(b, {"a": {"x": 0.5}}) == "verified" and _v(b, {"a": {"x": 2.0}}) == FAILS
    assert _v(P.bound(("x", ">=", 1), passed=HOLDS), {"x": 1}) == HOLDS
    c = P.close("x", 2.0, 0.05)
    assert _v(c, {"x": 2.05}) == HOLDS and _v(c, {"x": 2.5}) == FAILS
    cs = P.close_or_sign("z", -74.5, 0.25, -3.0)
    assert _v(cs, {"z": -14.0}) == HOLDS and _v(cs, {"z": 1.0}) == FAILS
    o = P.ordered("v", increasing=True)
    assert _v(o, {"v": [1, 2, 3]}) == HOLDS and _v(o, {"v": [1, 3, 2]}) == FAILS
    assert _v(P.ordered("v", True, uncertainty="one seed"), {"v": [1, 2]}) == INC
    r = P.radii_match("r", "k")
    assert _v(r, {"r": [0.5], "k": [4]}) == "verified"
    assert _v(r, {"r": [0.6], "k": [4]}) == FAILS
    bo = P.both(P.close("x", 1.0, 0.1), P.close("y", 1.0, 0.1))
    assert _v(bo, {"x": 1.0, "y": 1.0}) == HOLDS and _v(bo, {"x": 1.0, "y": 3.0}) == FAILS
    with pytest.raises(P.NotRecorded):
        c({})


def test_finding_grades_holds_fails_and_inconclusive(monkeypatch):
    monkeypatch.setitem(keys.FINDING_KEYS, "t.claim", "the effect is seen")
    res = {"verdicts": {"3. the effect is seen (threshold)": "holds (1.2 vs 1.0)"},
           "test_accuracy": {"m": 0.8}}
    fair = P.finding("t.claim", models=("m",), paper_acc={"m": 0.85})
    assert _v(fair, res) == HOLDS
    res_no = {**res, "verdicts": {"3. the effect is seen (threshold)": "does not hold (0.9)"}}
    assert _v(fair, res_no) == FAILS
    no_base = P.finding("t.claim", baseline="untrained network not measured")
    out = no_base(res)
    assert out.verdict == INC and "no baseline in this run" in out.reasons[0]
    assert _v(P.finding("t.claim", uncertainty="one seed"), res_no) == INC
    # a near-chance model makes the row inconclusive, with the reason
    chance = {**res, "test_accuracy": {"m": 0.15}}
    out = fair(chance)
    assert out.verdict == INC and "near chance" in " ".join(out.reasons)
    gate = P.finding("t.claim", gate=("net", "acc", 0.92))
    assert _v(gate, {**res, "acc": {"0": 0.1, "10": 0.9}}) == HOLDS
    assert _v(gate, {**res, "acc": {"0": 0.9, "10": 0.5}}) == INC


def _masks(n, z, p):
    return {"masks": {"ResNet-20": {"FMN": {"n": n, "id": 20.0, "z": z, "p": p}}}}


def test_id_test_under_powered_is_inconclusive_powered_gives_a_verdict():
    check = P.id_test("ResNet-20", "FMN", significant=True)
    # the medium run's PGD row: 60 pairs, p = 0.032 -> inconclusive, power shown
    out = check(_masks(60, -1.85, 0.032))
    assert out.verdict == INC and "power 0.15" in out.fair and "N = 60 of" in out.fair
    assert _v(check, _masks(120, -0.25, 0.40)) == INC
    n = P.id_test_n_needed()
    assert _v(check, _masks(n, -4.0, 3e-5)) == HOLDS
    assert _v(check, _masks(n, -0.5, 0.3)) == FAILS
    not_sig = P.id_test("ResNet-20", "FMN", significant=False)
    assert _v(not_sig, _masks(n, 1.5, 0.93)) == HOLDS


def test_id_test_near_chance_model_is_inconclusive():
    check = P.id_test("ResNet-20", "FMN", True, accuracy=("fourier_masks", "accuracy/r", 0.92))
    n = P.id_test_n_needed()
    good = check(_masks(n, -4.0, 3e-5), lambda ch: {"accuracy": {"r": 0.91}})
    assert good.verdict == HOLDS and "ResNet-20 91% vs paper 92%" in good.fair
    bad = check(_masks(n, -4.0, 3e-5), lambda ch: {"accuracy": {"r": 0.15}})
    assert bad.verdict == INC and "near chance" in bad.reasons[0]
    low = check(_masks(n, -4.0, 3e-5), lambda ch: {"accuracy": {"r": 0.47}})
    assert low.verdict == INC and "under-trained" in low.reasons[0]


def test_complement_and_accuracies():
    comp = P.complement("c", "VGG", "acc", None, 0.5)
    base = {"c": {"acc_mask": 0.95, "acc_complement": 0.5, "n": 1000}, "acc": 0.7}
    assert _v(comp, base) == HOLDS
    assert _v(comp, {**base, "c": {"acc_mask": 0.95, "acc_complement": 0.9, "n": 1000}}) == FAILS
    assert _v(comp, {**base, "acc": 0.12}) == INC
    acc = P.accuracies("a", {"x": 0.5, "y": 0.9}, 0.05)
    assert _v(acc, {"a": {"x": 0.52, "y": 0.88}}) == HOLDS
    assert _v(acc, {"a": {"x": 0.7, "y": 0.9}}) == FAILS
    assert _v(acc, {"a": {"x": 0.5, "y": 0.23}}) == INC
    # 5-10 points below (an adequately trained model missing the paper): does not hold, as the
    # docstring says
    assert _v(acc, {"a": {"x": 0.5, "y": 0.83}}) == FAILS
    assert "below it by up to" in P.accuracies.__doc__


def test_complement_needs_n_and_a_decisive_interval():
    comp = P.complement("c", "VGG", "acc", None, 0.5)
    # the medium run: 10 / 15 masked, VGG11 at 23 % with no paper accuracy -> inconclusive
    medium = {"c": {"acc_mask": 10 / 15, "acc_complement": 4 / 15, "n": 15}, "acc": 0.228}
    out = comp(medium)
    assert out.verdict == INC and any("not given" in x and "50%" in x for x in out.reasons)
    lo, hi = P.clopper_pearson(10, 15)
    assert (round(lo, 2), round(hi, 2)) == (0.38, 0.88)
    # adequate model, 14 / 15 masked: the interval straddles 0.9 -> inconclusive (too wide)
    wide = comp({"c": {"acc_mask": 14 / 15, "acc_complement": 2 / 15, "n": 15}, "acc": 0.7})
    assert wide.verdict == INC and "too wide" in wide.reasons[0]
    # no n recorded -> inconclusive with the reason
    no_n = comp({"c": {"acc_mask": 0.95, "acc_complement": 0.1}, "acc": 0.7})
    assert no_n.verdict == INC and "not recorded" in no_n.reasons[0]
    # adequate model, 10 / 15: interval entirely below 0.9 -> does not hold
    assert _v(comp, {**medium, "acc": 0.7}) == FAILS


def test_calibration_binomial_test():
    cal = P.calibration("fpr", 40, 6)
    # 7 of 40 with alpha 0.05: p = 0.0034 < 0.05 / 6 -> miscalibrated
    out = cal({"fpr": 7 / 40})
    assert out.verdict == FAILS and "7 of 40" in out.ours
    # 2 of 40 not rejected, but 40 draws cannot see a rate of 0.10 -> inconclusive
    out = cal({"fpr": 2 / 40})
    assert out.verdict == INC and out.reasons[0].startswith("power")
    # 1000 draws per setting, 5.5 %: not rejected and powered -> holds
    assert _v(P.calibration("fpr", 1000, 6), {"fpr": 0.055}) == HOLDS
    assert _v(P.calibration("fpr", 1000, 6), {"fpr": 0.09}) == FAILS
    # the numbers from the run's record

    class Ctx:
        record = {"calib_pairs": 40, "calib_n": [250, 1000], "calib_dims": [2, 6, 12]}
    rec = P.calibration("fpr", "calib_pairs", ("calib_n", "calib_dims"))
    assert "Bonferroni over 6" in rec({"fpr": 0.175}, Ctx()).ours
    with pytest.raises(P.NotRecorded):
        rec({"fpr": 0.175})


def test_bound_uncertainty_sparsity_significant_z():
    bu = P.bound(("x", ">=", 0.557), passed=HOLDS, uncertainty="one seed", seeds_path="s")
    assert _v(bu, {"x": 0.495}) == INC
    assert _v(bu, {"x": 0.495, "s": 3}) == FAILS and _v(bu, {"x": 0.6, "s": 3}) == HOLDS
    sp = P.sparsity("d", "R", "acc", 0.92, "d0", "lambda = 0")
    assert _v(sp, {"d": 0.01, "d0": 0.5, "acc": 0.9}) == HOLDS
    assert _v(sp, {"d": 0.4, "d0": 0.5, "acc": 0.9}) == FAILS
    out = sp({"d": 0.0035, "acc": 0.47})
    assert out.verdict == INC and any("under-trained" in x for x in out.reasons) \
        and any("no baseline recorded" in x for x in out.reasons)
    z = P.significant_z("z")
    assert _v(z, {"z": -14.8}) == HOLDS and _v(z, {"z": -1.0}) == FAILS


def test_missing_accuracy_is_a_reason_not_a_pass(monkeypatch):
    check = P.id_test("ResNet-20", "FMN", True, accuracy=("fourier_masks", "accuracy/r", 0.92))
    n = P.id_test_n_needed()
    out = check(_masks(n, -4.0, 3e-5), lambda ch: {"accuracy": {}})
    assert out.verdict == INC and "accuracy not recorded" in out.reasons[0]
    assert check(_masks(n, -4.0, 3e-5)).verdict == INC
    monkeypatch.setitem(keys.FINDING_KEYS, "t.claim", "the effect is seen")
    res = {"verdicts": {"3. the effect is seen": "holds (1.2 vs 1.0)"}, "test_accuracy": {}}
    out = P.finding("t.claim", models=("m",))(res)
    assert out.verdict == INC and "models adequate" not in out.fair
    assert "m accuracy not recorded" in out.reasons[0]


def test_id_effect_per_row_from_the_tables():
    from ibbook.sources import s003
    eff = {(a, m): s003.id_effect(a, m) for a, m in s003.TABLE2_3}
    assert all(0.094 <= eff[a, "ResNet-20"] <= 0.107 for a in ("FMN", "PGD", "DeepFool"))
    assert all(0.047 <= eff[a, "CCT-7"] <= 0.067 for a in ("FMN", "PGD", "DeepFool"))
    assert 0.059 <= eff["FMN", "ResNet-18 (Imagenette)"] <= 0.069
    # PGD on Imagenette (not significant in the paper): the model's smallest significant effect
    assert eff["PGD", "ResNet-18 (Imagenette)"] == min(
        eff[a, "ResNet-18 (Imagenette)"] for a in ("FMN", "DeepFool"))
    assert P.id_test_n_needed(effect=eff["PGD", "ResNet-20"]) < P.id_test_n_needed() < \
        P.id_test_n_needed(effect=eff["FMN", "CCT-7"])


def test_reviewed_rows_on_synthetic_prelu_and_committed_files(results):
    rows = {r["id"]: r for r in scorecard.build(("full", "medium"))}
    comp = rows["000.masks.complement"]
    assert comp["verdict"] == INC and "n = 15" in comp["ours"]
    sp = rows["000.masks.sparsity"]
    assert sp["verdict"] == INC and any("under-trained" in x for x in sp["reasons"])
    assert rows["003.s3.2.calibration"]["verdict"] == FAILS
    z = rows["003.table1.z"]
    assert z["verdict"] == HOLDS and "= -31, not -74.51" in z["paper"]
    assert "1045" not in rows["003.table2.resnet20.pgd"]["fair"]
    ci = lambda e, lo, hi: {"estimate": e, "lo": lo, "hi": hi}  # noqa: E731
    few = [ci(0.0, 0.0, 0.01)]
    flat = {"slopes_ci": {f"p=3, alpha={a}": ci(0.0, -0.01, 0.01) for a in (0.05, 0.3)}}
    aligned = {"p1_min_align_class_average": 0.99, "p3_min_align_single_centre": 0.99,
               "p3_centres_missed_max": 0}
    write(results, "prelu", "medium", {
        "radius_vs_K": {"p3_median_radius_ci": [ci(0.69, 0.68, 0.70), ci(0.60, 0.55, 0.64)],
                        "p3_share_below_ci": few, **flat},
        "gradient_flow": {"p1_named_share_ci": [ci(0.98, 0.95, 0.99), ci(0.93, 0.88, 0.96)],
                          "p3_named_share_ci": [ci(1.0, 0.99, 1.0)], **aligned}})
    rows = {r["id"]: r for r in scorecard.build(("medium",))}
    prelu = rows["004.thm-prelu"]  # (sqrt 2 - 0.3) / 2 = 0.557 inside one run's interval
    assert prelu["verdict"] == INC and "0.6 [0.55, 0.64]" in prelu["ours"]
    assert rows["004.conjecture.p1"]["verdict"] == INC  # one run's interval contains 0.9
    assert rows["004.conjecture.p3"]["verdict"] == HOLDS
    # a run where a tenth of the test points fall below the bound: the theorem's radius fails
    write(results, "prelu", "medium", {
        "radius_vs_K": {"p3_median_radius_ci": [ci(0.69, 0.68, 0.70)],
                        "p3_share_below_ci": [ci(0.1, 0.08, 0.12)] + few, **flat},
        "gradient_flow": {"p1_named_share_ci": [ci(0.6, 0.55, 0.65)],
                          "p3_named_share_ci": [ci(1.0, 0.99, 1.0)], **aligned}})
    rows = {r["id"]: r for r in scorecard.build(("medium",))}
    assert rows["004.thm-prelu"]["verdict"] == FAILS
    assert rows["004.conjecture.p1"]["verdict"] == FAILS  # sides with F on 60 % only
    assert rows["004.conjecture.p3"]["verdict"] == HOLDS
    # a centre without a neuron: the p = 3 net is not F^(3), whatever the probes say
    write(results, "prelu", "medium", {"gradient_flow": {
        "p3_named_share_ci": [ci(1.0, 0.99, 1.0)], **aligned, "p3_centres_missed_max": 3}})
    rows = {r["id"]: r for r in scorecard.build(("medium",))}
    assert rows["004.conjecture.p3"]["verdict"] == FAILS


def test_mnist_claim_needs_every_budget_a_clean_gate_and_a_gradient_free_check():
    from ibbook.sources import s004
    claim = next(c for c in s004.CLAIMS if c.id == "004.mnist")
    ci = lambda e: [{"p": 4, "estimate": e, "lo": e - 0.02, "hi": e + 0.02}]  # noqa: E731
    mn = {"gain_over_p1": {b: ci(0.3) for b in ("Linf 0.05", "Linf 0.1", "L2 1", "L2 2")},
          "clean_mean": [0.95, 0.94], "clean_drop": 0.01,
          "gradient_free": {"gain": ci(0.4)}}
    assert claim.check({"mnist": mn}).verdict == HOLDS
    out = claim.check({"mnist": {k: v for k, v in mn.items() if k != "gradient_free"}})
    assert out.verdict == INC and "gradient-free" in out.reasons[-1]
    bad = {**mn, "gain_over_p1": {**mn["gain_over_p1"], "L2 1": ci(-0.2)}}
    assert claim.check({"mnist": bad}).verdict == FAILS  # one budget where p = 4 loses
    chance = {**mn, "clean_mean": [0.1, 0.1]}
    assert claim.check({"mnist": chance}).verdict == FAILS  # near chance: no robustness claim
    masked = {**mn, "gradient_free": {"gain": ci(-0.3)}}
    assert claim.check({"mnist": masked}).verdict == FAILS


def test_interval_bound_grades_every_interval():
    ci = lambda e, lo, hi: {"estimate": e, "lo": lo, "hi": hi}  # noqa: E731
    up = P.interval_bound("g", ">", 0.0)
    assert _v(up, {"g": [ci(0.3, 0.2, 0.4), ci(0.1, 0.02, 0.2)]}) == HOLDS
    assert _v(up, {"g": ci(0.3, 0.2, 0.4)}) == HOLDS
    out = up({"g": [ci(0.3, 0.2, 0.4), ci(0.01, -0.02, 0.05)]})
    assert out.verdict == INC and "0.01 [-0.02, 0.05]" in out.ours
    assert _v(up, {"g": [ci(0.3, 0.2, 0.4), ci(-0.1, -0.2, -0.05)]}) == FAILS
    down = P.interval_bound("g", "<=", 1.0)
    assert _v(down, {"g": [ci(0.5, 0.4, 0.6)]}) == HOLDS
    assert _v(down, {"g": [ci(1.5, 1.2, 1.6)]}) == FAILS
    with pytest.raises(P.NotRecorded):
        up({"g": []})
    with pytest.raises(ValueError, match="op='=>' is not accepted"):
        P.interval_bound("g", "=>", 0.0)


def test_every_registry_predicate_grades_the_committed_results():
    """Each claim's predicate runs on the committed medium/full files (or says not run)."""
    rows = scorecard.build(("full", "medium"))
    assert {r["verdict"] for r in rows} <= set(P.VERDICTS)
    for r in rows:
        if r["verdict"] == INC:
            assert r["reasons"], r["id"]


# --- the issue's regressions on the committed files ------------------------------------------

def test_committed_id_tests_are_inconclusive_not_verdicts(results):
    rows = {r["id"]: r for r in scorecard.build(("full", "medium"))}
    for cid in ("003.table2.resnet20.fmn", "003.table2.resnet20.pgd",
                "003.table2.resnet20.deepfool"):
        assert rows[cid]["verdict"] == INC
        assert any(x.startswith("power") for x in rows[cid]["reasons"])
    kernel = rows["002.abstract.kernel-size"]
    assert kernel["verdict"] == INC and any("near chance" in x for x in kernel["reasons"])
    assert rows["001.table4"]["verdict"] == INC


# --- stable ids and the one key table --------------------------------------------------------

def test_ids_are_unique_and_stable_format():
    ids = [c.id for c in sources.CLAIMS]
    assert len(ids) == len(set(ids))
    for c in sources.CLAIMS:
        assert re.fullmatch(r"00[0-4]\.[a-z0-9.\-]+", c.id), c.id
        assert c.id.startswith(c.source + ".")


def test_every_mapped_finding_key_is_in_the_committed_results():
    """Each key of the one table names exactly one finding of the committed medium/full files."""
    chapters = {c.id: c.chapter for c in sources.CLAIMS}
    for cid, text in keys.FINDING_KEYS.items():
        assert cid in chapters, cid
        found = 0
        for scale in ("full", "medium"):
            path = ROOT / "data" / "results" / chapters[cid] / f"{scale}.json"
            if path.exists():
                vs = json.loads(path.read_text())["results"]["verdicts"]
                hits = [k for k in vs if k.split(". ", 1)[-1].startswith(text)]
                assert len(hits) <= 1, (cid, hits)
                found += len(hits)
        assert found, (cid, text)


def test_renaming_a_claims_text_keeps_its_row(results, monkeypatch):
    claim = sources.BY_ID["001.fig2a.rises-with-accuracy"]
    before = scorecard.evaluate(claim, ("medium",))
    renamed = dataclasses.replace(claim, claim="a brand-new wording of the claim")
    after = scorecard.evaluate(renamed, ("medium",))
    assert (after["id"], after["verdict"], after["ours"]) == \
        (before["id"], before["verdict"], before["ours"])
    # the chapter rewords its finding: one line of the key table follows it
    src = json.loads((ROOT / "data/results/learning_dynamics/medium.json").read_text())
    vs = src["results"]["verdicts"]
    old = next(k for k in vs if "the success rate rises with accuracy" in k)
    vs[old.split(". ")[0] + ". success grows together with accuracy"] = vs.pop(old)
    write(results, "learning_dynamics", "medium", src["results"])
    monkeypatch.setitem(keys.FINDING_KEYS, claim.id, "success grows together with accuracy")
    moved = scorecard.evaluate(claim, ("medium",))
    assert (moved["verdict"], moved["ours"]) == (before["verdict"], before["ours"])


# --- each paper number in exactly one module -------------------------------------------------

def _paper_numbers():
    """The quoted numbers of Tables 1, 2 of 001 and Tables 1-3 of 003 long enough to be
    unambiguous, the negative Z values, and Table 4 of 001 as "model": accuracy pairs."""
    from ibbook.sources import s001, s003
    nums = set()
    for table in (s001.TABLE1, s001.TABLE2, s003.TABLE2_3):
        for row in table.values():
            for v in row:
                if isinstance(v, float) and v < 0:
                    nums.add(repr(v))
                else:
                    nums.update(re.findall(r"\d+\.\d+", str(v)))
    nums = {n for n in nums if len(n) >= 5}
    nums.update({repr(s003.TABLE1["Z"]), s003.TABLE1["Id (shuffle)"]})
    pairs = {f'"{k}": {v}' for k, v in s001.TABLE4_ACCURACY.items()}
    return nums, pairs
def _code_texts():
    texts = {}
    for path in (ROOT / "ibbook").rglob("*.py"):
        texts[str(path.relative_to(ROOT))] = path.read_text()
    for path in (ROOT / "chapters").glob("*.ipynb"):
        cells = json.loads(path.read_text())["cells"]
        texts[str(path.relative_to(ROOT))] = "\n".join(
            "".join(c["source"]) for c in cells if c["cell_type"] == "code")
    return texts


def test_each_table_number_is_typed_in_exactly_one_module():
    texts = _code_texts()
    numbers, pairs = _paper_numbers()
    assert len(numbers) > 40
    for n in sorted(numbers | pairs):
        where = [p for p, t in texts.items()
                 if re.search(rf"(?<![\d.]){re.escape(n)}(?![\d])", t)]
        assert len(where) == 1 and where[0].startswith("ibbook/sources/s00"), (n, where)


def test_id_test_power_from_the_runs_own_shuffles():
    # the paper's FMN row: Id 31.65 against 34.98 +- 0.73 -> an effect of 9.5 % is 4.56 sd
    assert P.measured_id_power(34.98, 0.73, 0.095) == pytest.approx(0.9982, abs=1e-4)  # Phi(4.55 - 1.645)
    assert P.measured_id_power(34.98, 3.0, 0.095) < 0.5  # a wide null spread: little power
    with pytest.raises(ValueError, match="shuffled_std=0"):
        P.measured_id_power(30.0, 0.0)
    check = P.id_test("ResNet-20", "FMN", significant=True, effect=0.095)
    row = {"masks": {"ResNet-20": {"FMN": {"n": 2000, "z": -0.4, "p": 0.34, "id": 30.0,
                                           "shuffled_mean": 30.1, "shuffled_std": 0.25}}}}
    assert _v(check, row) == FAILS  # powered by its own spread, not significant
    row["masks"]["ResNet-20"]["FMN"]["shuffled_std"] = 3.0
    assert _v(check, row) == INC


def test_network_control_separates_image_from_network():
    check = P.network_control("ResNet-20", "FMN")

    def r(zs, ps, zt, pt, zw, pw):
        return {"control": {"FMN": {"n": 1000, "same": {"z": zs, "p": ps}, "twin": {"z": zt, "p": pt},
                                    "swap": {"z": zw, "p_permutation": pw, "n_swaps": 500}}}}
    assert _v(check, r(-6.0, 1e-9, -0.5, 0.3, -4.0, 0.002)) == HOLDS  # only the network's own masks
    assert _v(check, r(-6.0, 1e-9, -5.5, 1e-8, -0.3, 0.4)) == FAILS  # the twin's as tied
    assert _v(check, r(-3.0, 0.001, -4.0, 1e-4, 1.0, 0.85)) == FAILS  # the twin even more tied
    out = check(r(-8.0, 1e-12, -3.0, 0.001, -3.5, 0.002))
    assert out.verdict == INC and "tied too" in out.reasons[0]  # partly shared
    assert _v(check, r(-0.5, 0.3, -0.2, 0.4, -0.1, 0.5)) == INC  # nothing to explain
    assert _v(check, r(-2.6, 0.005, -0.3, 0.38, -1.0, 0.16)) == INC  # neither separates
    assert P.twin_reading(r(-6.0, 1e-9, -5.5, 1e-8, -0.3, 0.4)["control"]["FMN"])[0] == "shared with the twin"
    with pytest.raises(P.NotRecorded, match="control/FMN"):
        check({"masks": {"ResNet-20": {"FMN": {"z": -6.0, "p": 1e-9, "n": 9}}}})
    with pytest.raises(P.NotRecorded, match="control/FMN/swap"):
        check({"control": {"FMN": {"n": 5, "same": {}, "twin": {}}}})


def test_finding_says_what_was_seen_not_a_verdict(monkeypatch):
    """A chapter's raw finding is shown as 'effect seen', so that an inconclusive row does not
    read 'holds' in its *ours* cell (reader review)."""
    monkeypatch.setitem(keys.FINDING_KEYS, "t.claim", "the effect is seen")
    res = {"verdicts": {"3. the effect is seen": "holds (1.2 vs 1.0)"}}
    out = P.finding("t.claim", uncertainty="one seed")(res)
    assert out.verdict == INC and out.ours == "effect seen: 1.2 vs 1.0"
    res = {"verdicts": {"1. the effect is seen": "does not hold (0.9 vs 1.0)"}}
    assert P.finding("t.claim")(res).ours.startswith("effect not seen")
    res = {"verdicts": {"1. the effect is seen": "holds (gap 0.1 (p 0.01) -> 0.3 (p 1e-5))"}}
    assert P.finding("t.claim")(res).ours == "effect seen: gap 0.1 (p 0.01) -> 0.3 (p 1e-5)"


def test_relu_slope_graded_by_its_interval():
    from ibbook.sources import s004
    claim = next(c for c in s004.CLAIMS if c.id == "004.thm-relu")
    ci = lambda e, lo, hi: {"estimate": e, "lo": lo, "hi": hi}  # noqa: E731

    def res(a, b):
        return {"radius_vs_K": {"slopes_ci": {"p=1, alpha=0.05": a, "p=1, alpha=0.3": b}}}
    good = ci(-0.50, -0.51, -0.49)
    assert claim.check(res(good, good)).verdict == HOLDS
    out = claim.check(res(good, ci(-0.50, -0.56, -0.44)))  # interval wider than the band
    assert out.verdict == INC and out.reasons == ("the interval reaches past -0.55 or -0.45",)
    assert claim.check(res(good, ci(-0.30, -0.32, -0.28))).verdict == FAILS  # slope -0.3


def test_interval_within_grades_a_band():
    ci = lambda e, lo, hi: {"g": {"estimate": e, "lo": lo, "hi": hi}}  # noqa: E731
    w = P.interval_within("g", -0.55, -0.45, label="slope")
    out = w(ci(-0.5, -0.51, -0.49))
    assert out.verdict == HOLDS and out.ours == "slope: -0.5 [-0.51, -0.49] (within -0.55 to -0.45)"
    assert _v(w, ci(-0.5, -0.56, -0.44)) == INC
    assert _v(w, ci(-0.3, -0.31, -0.29)) == FAILS and _v(w, ci(-0.7, -0.72, -0.68)) == FAILS
    with pytest.raises(ValueError, match="low=1, high=0 is not accepted"):
        P.interval_within("g", 1, 0)
