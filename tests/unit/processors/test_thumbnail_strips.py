"""The thumbnail made in strips (for memory) is Pillow's thumbnail: same size, same pixels
for camera photos, within rounding otherwise; orientation still applied."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image, ImageChops, ImageStat

from fileproc.processors import image

from . import images
from .support import run


def pillow_thumbnail(source: Image.Image, max_px: int) -> Image.Image:
    copy = source.copy()
    copy.thumbnail((max_px, max_px))
    return copy


def test_thumbnail_size_is_pillows_for_any_shape() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        width, height = rng.randint(1, 2500), rng.randint(1, 2500)
        max_px = rng.choice([16, 100, 256, 300])
        expected = pillow_thumbnail(Image.new("1", (width, height)), max_px).size

        size = image.thumbnail_size((width, height), max_px)

        assert size == (None if expected == (width, height) else expected), (width, height)


def test_camera_photo_strips_equal_pillows_thumbnail_pixel_for_pixel() -> None:
    # 500x375 is the 1/8 draft of a 4000x3000 photo.
    source = Image.effect_noise((500, 375), 60).convert("RGB")
    size = image.thumbnail_size(source.size, 256)
    assert size is not None

    strips = image._resized_in_strips(source, size)

    assert ImageChops.difference(strips, pillow_thumbnail(source, 256)).getbbox() is None


@pytest.mark.parametrize("shape", [(375, 500), (300, 200), (480, 640), (750, 500), (999, 101)])
def test_other_shapes_are_within_rounding(shape: tuple[int, int]) -> None:
    source = Image.effect_noise(shape, 60).convert("RGB")
    size = image.thumbnail_size(source.size, 256)
    assert size is not None

    strips = image._resized_in_strips(source, size)
    difference = ImageChops.difference(strips, pillow_thumbnail(source, 256))

    assert strips.size == size
    # Noise is the worst case: a different filter window shows at once.
    assert max(ImageStat.Stat(difference).mean) < 0.5


def test_strips_are_used_for_a_large_jpeg_and_keep_the_orientation() -> None:
    photo = images.photo(1600, 1200, orientation=6)  # stored landscape, shown portrait

    extraction = run(image.process, photo, ".jpg")

    assert extraction.metadata["thumbnail"] == {"width": 192, "height": 256}
    thumbnail = Image.open(io.BytesIO(extraction.artefacts["thumbnail"].body))
    assert thumbnail.size == (192, 256)


def test_png_with_alpha_still_goes_through_pillows_thumbnail() -> None:
    source = Image.new("RGBA", (1000, 750), (255, 0, 0, 128))

    assert not image._resizable_in_strips(source, (256, 192))
    assert image._resizable_in_strips(source.convert("RGB"), (256, 192))
    # A source 4x the size or more is reduced first by Pillow: not a plain resize.
    assert not image._resizable_in_strips(Image.new("RGB", (1024, 768)), (256, 192))
