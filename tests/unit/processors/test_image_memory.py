"""The image processor's peak memory is a function of its decode budget, not of the
file's shape: measured as the resident set of a forked child (Pillow and libpng
allocate in C, which tracemalloc does not see)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from fileproc.config import Settings
from fileproc.processors import image
from fileproc.processors.image import DECODE_OVERHEAD_BYTES, MiB

from . import images
from .hostile_images import blank_png, peak_growth
from .support import run


def encode(picture: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, image_format, **options)
    return buffer.getvalue()


def cost_of(data: bytes, max_px: int = 256) -> int:
    opened = Image.open(io.BytesIO(data))
    full_size = opened.size
    opened.draft("RGB", (max_px, max_px))
    return image.decode_cost(opened, max_px, full_size=full_size)


SHAPES = {
    "rgba": lambda: encode(Image.effect_noise((2000, 2000), 40).convert("RGBA"), "PNG"),
    "rgb-1-wide": lambda: blank_png(1, 2_000_000, colour_type=2),
    "rgb-1-high": lambda: blank_png(2_000_000, 1, colour_type=2),
    "grey": lambda: blank_png(5000, 4000, colour_type=0),
    "bilevel": lambda: blank_png(6000, 6000, colour_type=0, bit_depth=1),
    "grey-16-bit": lambda: blank_png(3000, 3000, colour_type=0, bit_depth=16),
    "palette": lambda: blank_png(4000, 4000, colour_type=3),
    "grey-alpha": lambda: blank_png(3000, 3000, colour_type=4),
    "progressive-jpeg": lambda: encode(
        Image.effect_noise((3000, 2000), 40).convert("RGB"), "JPEG", progressive=True
    ),
    "camera-jpeg": lambda: images.noisy_photo(4000, 3000),
}


@pytest.mark.slow
@pytest.mark.parametrize("shape", SHAPES)
def test_peak_memory_is_at_most_the_decode_cost_plus_a_constant(shape: str) -> None:
    data = SHAPES[shape]()
    extension = ".jpg" if data.startswith(b"\xff\xd8") else ".png"

    growth, outcome = peak_growth(lambda: run(image.process, data, extension))

    assert outcome == "ok"
    assert growth <= cost_of(data) + DECODE_OVERHEAD_BYTES, (growth / MiB, cost_of(data) / MiB)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("data", "cost_mb"),
    [
        # The shapes that peaked at +1.1 GB, +860 MB and +760 MB: tiny files, each
        # under IMAGE_MAX_PIXELS (100 M pixels).
        pytest.param(lambda: blank_png(1, 100_000_000, colour_type=2), 1431, id="rgb-1x100M"),
        pytest.param(
            lambda: blank_png(1, 100_000_000, colour_type=0, bit_depth=1), 1073, id="1bit-1x100M"
        ),
        pytest.param(lambda: blank_png(10_000, 10_000, colour_type=6), 859, id="rgba-10000^2"),
    ],
)
def test_images_over_the_budget_are_refused_before_decoding(data: object, cost_mb: int) -> None:
    png = data()  # type: ignore[operator]
    assert len(png) < 500_000

    growth, outcome = peak_growth(lambda: run(image.process, png, ".png"))

    assert outcome.startswith("TooLarge: decoding this")
    assert f"takes about {cost_mb} MB, over the image decode budget of 512 MB" in outcome
    assert growth < 16 * MiB  # nothing was decoded


def test_the_budget_is_a_setting() -> None:
    data = blank_png(3000, 3000, colour_type=6)  # 3000 rows of 12,000 bytes + 8, and a copy

    with pytest.raises(image.TooLarge, match=r"3000x3000 RGBA image takes about 78 MB.* 64 MB"):
        run(image.process, data, ".png", image_decode_budget_mb=64)
    result = run(image.process, data, ".png", image_decode_budget_mb=80)

    assert result.metadata["thumbnail"] == {"width": 256, "height": 256}


def test_a_jpeg_costs_its_draft_size_not_its_full_size() -> None:
    photo = images.noisy_photo(4000, 3000)
    progressive = encode(Image.open(io.BytesIO(photo)), "JPEG", progressive=True)

    # Drafted to 1/8 (500x375): a row pointer and 4 bytes a pixel, plus row buffers.
    assert cost_of(photo) == 375 * (500 * 4 + 8) + 4000 * image.DECODER_BYTES_PER_COLUMN
    # libjpeg keeps every coefficient of a progressive JPEG: 2 bytes a sample.
    assert cost_of(progressive) == cost_of(photo) + 4000 * 3000 * 3 * 2


def test_the_budget_is_what_the_function_can_give_a_file() -> None:
    """In a small function the isolation's limit (file_memory_mb) lowers the budget: the
    16-bit PNG that a 1,024 MB function decodes is refused, naming that limit, before
    it could run the child out of memory."""
    data = blank_png(3000, 1500, colour_type=0, bit_depth=16)  # 1500 rows of 6,000 + 8

    with pytest.raises(image.TooLarge) as refused:
        run(image.process, data, ".png", file_memory_mb=16)
    result = run(image.process, data, ".png", file_memory_mb=1024 - 70 - 64)

    assert "takes about 11 MB, over the image decode budget of 8 MB (the 16 MB a file " in str(
        refused.value
    )
    assert "IMAGE_DECODE_BUDGET_MB is 512" in str(refused.value)
    assert result.metadata["mode"] == "I;16"
    assert image.decode_budget(Settings("t", "b", file_memory_mb=900)) == (
        512,
        "IMAGE_DECODE_BUDGET_MB",
    )
