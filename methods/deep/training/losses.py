"""Training losses: pixel (L1 or MSE) plus SSIM, and an optional VGG16 perceptual term."""

from __future__ import annotations

from pathlib import Path

from benchmark.core.errors import BenchError

#: Pixel losses by name; SSIM is added to each with weight :data:`SSIM_WEIGHT`.
PIXEL_LOSSES = ("l1", "mse")
#: Mix of Zhao et al. (2017), "Loss functions for image restoration with neural networks":
#: alpha * (1 - SSIM) + (1 - alpha) * L1 with alpha = 0.84.
SSIM_WEIGHT = 0.84
#: VGG16 ``features`` indices of relu1_2, relu2_2, relu3_3, relu4_3 (torchvision numbering).
VGG_LAYERS = (3, 8, 15, 22)
_VGG_CONFIG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512)


def gaussian_window(size: int = 11, sigma: float = 1.5):
    import torch

    coords = torch.arange(size, dtype=torch.float32) - size // 2
    g = torch.exp(-(coords**2) / (2 * sigma**2))
    return g / g.sum()


def ssim_torch(x, y, data_range: float = 1.0):
    """Mean SSIM of Wang et al. 2004 with an 11x11 Gaussian window (sigma 1.5), 'valid' region.

    The same constants and window as :func:`benchmark.core.metrics.ssim`, differentiable.
    """
    import torch.nn.functional as F

    g = gaussian_window().to(x)
    kh, kw = g.view(1, 1, -1, 1), g.view(1, 1, 1, -1)

    def blur(t):
        return F.conv2d(F.conv2d(t, kh), kw)

    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    mx, my = blur(x), blur(y)
    sxx, syy, sxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    s = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    return s.mean()


class VGG16Features:
    """VGG16 ``features`` up to relu4_3, torchvision parameter names, weights from a file."""

    def __init__(self, path: str | Path, device: str = "cpu"):
        import torch
        from torch import nn

        path = Path(path)
        if not path.is_file():
            raise BenchError(f"--perceptual-weights {path}: no such file; give a VGG16 ImageNet "
                             "state dict (torchvision vgg16 keys features.N.weight/bias)")
        layers, cin = [], 1
        cin = 3
        for item in _VGG_CONFIG:
            if item == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(cin, item, 3, padding=1), nn.ReLU(inplace=False)]
                cin = item
        self.features = nn.Sequential(*layers)
        state = load_state_file(path)
        wanted = {k[len("features."):]: v for k, v in state.items() if k.startswith("features.")
                  and int(k.split(".")[1]) < len(layers)}
        try:
            self.features.load_state_dict(wanted, strict=True)
        except RuntimeError as error:
            raise BenchError(f"--perceptual-weights {path} is not a torchvision VGG16 state "
                             f"dict: {str(error).splitlines()[0]}") from None
        self.features.to(device).eval().requires_grad_(False)
        self.mean = torch.tensor([0.485, 0.456, 0.406], device=device).view(1, 3, 1, 1)
        self.std = torch.tensor([0.229, 0.224, 0.225], device=device).view(1, 3, 1, 1)

    def __call__(self, x):
        x = (x.repeat(1, 3, 1, 1) - self.mean) / self.std
        out = []
        for index, layer in enumerate(self.features):
            x = layer(x)
            if index in VGG_LAYERS:
                out.append(x)
        return out


def load_state_file(path: Path) -> dict:
    """Tensors of a ``.safetensors`` file, or of a ``.pth`` loaded with ``weights_only=True``
    (plain tensors only; no code is run)."""
    import torch

    if str(path).endswith(".safetensors"):
        from safetensors.torch import load_file

        return load_file(str(path))
    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as error:
        raise BenchError(f"{path}: not a safetensors file nor a plain tensor state dict "
                         f"({type(error).__name__}); convert it to safetensors") from None
    return state.get("state_dict", state) if isinstance(state, dict) else state


class TrainingLoss:
    """``pixel`` loss mixed with SSIM (``ssim_weight``), plus ``perceptual_weight`` x VGG16 feature L1 if asked."""

    def __init__(self, pixel: str = "l1", *, ssim_weight: float = SSIM_WEIGHT,
                 perceptual_weights: str | Path | None = None, perceptual_weight: float = 0.1,
                 device: str = "cpu"):
        if pixel not in PIXEL_LOSSES:
            raise BenchError(f"--loss {pixel!r}: use one of {', '.join(PIXEL_LOSSES)}")
        if not 0 <= ssim_weight <= 1:
            raise BenchError(f"--ssim-weight {ssim_weight}: give a number in [0, 1]")
        self.pixel = pixel
        self.ssim_weight = ssim_weight
        self.vgg = VGG16Features(perceptual_weights, device) if perceptual_weights else None
        self.perceptual_weight = perceptual_weight

    def __call__(self, estimate, clean):
        import torch.nn.functional as F

        pixel = F.l1_loss(estimate, clean) if self.pixel == "l1" else F.mse_loss(estimate, clean)
        loss = (1 - self.ssim_weight) * pixel
        if self.ssim_weight:
            loss = loss + self.ssim_weight * (1 - ssim_torch(estimate, clean))
        if self.vgg is not None:
            for a, b in zip(self.vgg(estimate), self.vgg(clean)):
                loss = loss + self.perceptual_weight / len(VGG_LAYERS) * F.l1_loss(a, b)
        return loss
