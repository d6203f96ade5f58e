"""The fair variants the noise models derive (for tests that list variants)."""

def fair_suffixes(data: str = "image") -> list[str]:
    """Every fair-transform suffix of the noise kinds drawn on ``data``, in registration order:
    the variants each eligible method gets, one a suffix."""
    from benchmark.core.noise import get_noise_model, noise_kinds

    return [t.suffix for kind in noise_kinds() if data in get_noise_model(kind).data
            for t in get_noise_model(kind).fair_transforms]
