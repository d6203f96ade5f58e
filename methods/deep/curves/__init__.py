"""Deep denoisers of DCE-MRI concentration-time curves, trained here on ``dce-sim``.

Seven published 1-D denoising networks, adapted to curves of 32 samples (each class's
docstring says how), all with the same scale handling (:mod:`methods.deep.curves.scale`):
each curve is divided by its own mean before the network and the output multiplied back.
Registering imports no torch: the architecture modules load on the first call, and the
checkpoints are ``weights/<name>-dce.safetensors``, trained for relative-Gaussian noise of
5-50%.
"""

from __future__ import annotations

from methods.deep.nets import register_architecture

#: name -> (constructor, default configuration, cost, summary).
CURVE_ARCHITECTURES = {
    "drnn": ("methods.deep.curves.recurrent:DRNN", {"residual": True}, 2.0,
             "deep recurrent denoiser (Antczak 2018): LSTM 64 + dense, curves (PyTorch)"),
    "dlstm": ("methods.deep.curves.recurrent:DLSTM", {"residual": True}, 3.0,
              "denoising LSTM (Arsene et al. 2019): two LSTM 140 + dense, curves (PyTorch)"),
    "dcnn": ("methods.deep.curves.convolutional:DCNN", {}, 2.0,
             "denoising CNN (Arsene et al. 2019): 3 x Conv1D 36 k19 + dense, curves (PyTorch)"),
    "fcn-dae": ("methods.deep.curves.encoders:FCNDAE", {}, 2.0,
                "fully convolutional denoising autoencoder (Chiang et al. 2019), curves (PyTorch)"),
    "cnn-ed": ("methods.deep.curves.encoders:CNNED", {"residual": True}, 5.0,
               "CNN encoder-decoder, additive skips (Fotiadou et al. 2020), curves (PyTorch)"),
    "vanilla-nl": ("methods.deep.curves.convolutional:VanillaNL", {}, 3.0,
                   "DeepFilter Vanilla NL (Romero et al. 2021): 7 x Conv1D k9, curves (PyTorch)"),
    "rescnn1d": ("methods.deep.curves.rescnn:ResCNN1D", {}, 4.0,
                 "1D-ResCNN (Sun et al. 2020): residual branches k3/5/7, curves (PyTorch)"),
}

for _name, (_constructor, _defaults, _cost, _summary) in CURVE_ARCHITECTURES.items():
    register_architecture(_name, _constructor, defaults=_defaults, cost=_cost, summary=_summary,
                          data="curve")
