"""The one table from a claim's stable id to the text its chapter records the finding under.

A chapter records its findings as ``{"<n>. <text>": "holds (...)" | "does not hold (...)"}``;
the number differs between scales, so the text after it is matched (it may be a prefix of the
recorded text). Rewording a finding in a chapter is a one-line change here; the claim's id, and
so its scorecard row, stay.
"""
FINDING_KEYS = {
    # Ortega Caro et al. 2020, the Fourier-bias chapter
    "001.table1.linear.fullconv-sparser-beta": "linear: full conv has a sparser beta^ than FC",
    "001.table1.linear.fullconv-sparser-delta": "linear: full conv has a sparser delta^ than FC",
    "001.table1.linear.depth-sparser-beta": "linear: depth makes the full conv's beta^ sparser",
    "001.table1.linear.depth-sparser-delta": "linear: depth makes the full conv's delta^ sparser",
    "001.table1.linear.fc-depth-invariant": "linear: FC's beta^ does not depend on depth",
    "001.s3.3.1.locally-conn-like-fc": "linear: locally conn. spreads beta^ like FC",
    "001.s3.3.1.bounded-beta-higher": "linear: bounded conv puts beta^ at higher freq. than FC",
    "001.s3.3.1.bounded-delta-higher": "linear: bounded conv puts delta^ at higher freq. than FC",
    "001.table2.relu.fullconv-sparser-delta": "ReLU: full conv has a sparser delta^ than FC",
    "001.fig4b.relu.bounded-higher": "ReLU: bounded conv's delta^ is higher freq. than full conv",
    "001.s3.3.2.relu.locally-conn-like-fc": "ReLU: locally conn.'s delta^ resembles FC's",
    "001.fig11.alpha.wide-bounded": "alpha 10 gives higher freq. delta^ than 0.1 (wide bounded conv)",
    "001.fig11.alpha.locally-conn": "alpha 10 gives higher freq. delta^ than 0.1 (locally conn.)",
    # Ortega Caro et al. 2020, the learning-dynamics chapter
    "001.s3.1.absent-at-init": "adversarial examples are absent at initialisation",
    "001.s3.1.emerge-early": "they emerge early",
    "001.fig2a.rises-with-accuracy": "the success rate rises with accuracy",
    "001.fig2a.final-lags": "the final network's perturbations lag",
    "001.fig3.l2-shrinks": "the minimal l2 perturbation shrinks",
    "001.fig3.linf-shrinks": "the minimal l-inf perturbation shrinks",
    "001.fig2b.pgd-higher.init": "PGD perturbations move to higher frequencies from initialisation",
    "001.fig2b.deepfool-higher.init":
        "DeepFool-l2 perturbations move to higher frequencies from initialisation",
    "001.fig2c.angular-uniform.init":
        "the angular energy of PGD perturbations becomes more uniform from initialisation",
    "001.fig2b.pgd-higher.epoch1": "PGD perturbations move to higher frequencies after the first epoch",
    "001.fig2b.deepfool-higher.epoch1":
        "DeepFool-l2 perturbations move to higher frequencies after the first epoch",
    "001.fig2c.angular-uniform.epoch1":
        "the angular energy of PGD perturbations becomes more uniform after the first epoch",
    "001.fig1.relu-changes": "ReLU changes: adversarial above random",
    "001.fig1.roughness": "roughness: adversarial above random",
    # Caro et al. 2024, the Fourier-bias chapter
    "002.abstract.kernel-size": "smaller kernels give higher freq. delta^",
    "002.abstract.depth": "deeper 3x3 convs give higher freq. delta^",
    "002.abstract.vit-mlp": "ViT and MLP-Mixer give lower freq. delta^",
    "002.abstract.conv-vs-fc": "ReLU: bounded conv's delta^ is higher freq. than full conv",
}
