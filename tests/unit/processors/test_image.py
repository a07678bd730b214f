"""The image processor on real JPEG and PNG files made with Pillow."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from PIL import Image, ImageFile, JpegImagePlugin

from fileproc.errors import ContentMismatch, Corrupt, DecompressionBomb, Unsupported
from fileproc.processors import image
from fileproc_tools.pdfs import text_pdf

from . import images
from .support import run


def thumbnail_of(extraction: image.Extraction) -> Image.Image:
    artefact = extraction.artefacts["thumbnail"]
    assert artefact.filename == "thumbnail.jpg"
    assert artefact.content_type == "image/jpeg"
    thumb = Image.open(io.BytesIO(artefact.body))
    assert thumb.format == "JPEG"
    return thumb


def is_close(pixel: object, colour: tuple[int, int, int], tolerance: int = 40) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


def test_jpeg_metadata_exif_subset_and_thumbnail() -> None:
    result = run(image.process, images.photo(600, 400), ".jpg")

    assert result.metadata == {
        "format": "JPEG",
        "width": 600,
        "height": 400,
        "mode": "RGB",
        "animated": False,
        "frames": 1,
        "exif": {
            "make": "Canon",
            "model": "Canon EOS 5D Mark IV",
            "date_taken": "2024-05-01T12:34:56+02:00",
            "orientation": 1,
        },
        "thumbnail": {"width": 256, "height": 171},
    }
    thumb = thumbnail_of(result)
    assert thumb.size == (256, 171)
    assert is_close(thumb.getpixel((10, 85)), images.RED)
    assert is_close(thumb.getpixel((245, 85)), images.BLUE)
    assert result.text is None


def test_gps_is_left_out_unless_the_environment_allows_it() -> None:
    data = images.photo()

    private = run(image.process, data, ".jpeg")
    shared = run(image.process, data, ".jpeg", exif_include_gps=True)

    assert "gps" not in private.metadata["exif"]
    assert shared.metadata["exif"]["gps"] == {
        "latitude": pytest.approx(48.858222, abs=1e-6),
        "longitude": pytest.approx(-2.2945, abs=1e-6),
        "altitude": 35.5,
    }
    # The thumbnail never carries the photo's EXIF (and so never its location).
    assert not thumbnail_of(shared).getexif()


def test_exif_orientation_is_applied_to_the_thumbnail() -> None:
    # Orientation 6: the stored image must turn 90 degrees clockwise to be upright,
    # so its left (red) half ends up on top.
    result = run(image.process, images.photo(600, 400, orientation=6), ".jpg")

    thumb = thumbnail_of(result)
    assert result.metadata["exif"]["orientation"] == 6
    assert (result.metadata["width"], result.metadata["height"]) == (600, 400)
    assert thumb.size == (171, 256)
    assert result.metadata["thumbnail"] == {"width": 171, "height": 256}
    assert is_close(thumb.getpixel((85, 10)), images.RED)
    assert is_close(thumb.getpixel((85, 245)), images.BLUE)


def test_thumbnail_size_comes_from_the_settings() -> None:
    result = run(image.process, images.photo(600, 400), ".jpg", thumbnail_max_px=64)

    assert thumbnail_of(result).size == (64, 43)


def test_small_image_is_not_enlarged() -> None:
    result = run(image.process, images.photo(100, 50), ".jpg")

    assert thumbnail_of(result).size == (100, 50)


def test_large_jpeg_is_decoded_at_reduced_scale(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded_sizes: list[tuple[int, int]] = []
    original_load = JpegImagePlugin.JpegImageFile.load

    def spy_load(self: JpegImagePlugin.JpegImageFile) -> object:
        loaded_sizes.append(self.size)
        return original_load(self)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", spy_load)

    result = run(image.process, images.noisy_photo(2400, 1600), ".jpg")

    # Draft mode: the decoder produced 1/4 of each side, the largest reduction
    # that still leaves 256 pixels on both; never the full 2400x1600.
    assert loaded_sizes[0] == (600, 400)
    assert thumbnail_of(result).size == (256, 171)


def test_png_alpha_is_flattened_onto_white() -> None:
    result = run(image.process, images.png_with_alpha(), ".png")

    assert result.metadata["format"] == "PNG"
    assert result.metadata["mode"] == "RGBA"
    thumb = thumbnail_of(result)
    assert thumb.mode == "RGB"
    assert is_close(thumb.getpixel((10, 20)), images.RED)
    # Without flattening, the transparent pixels' hidden green would show.
    assert is_close(thumb.getpixel((70, 20)), (255, 255, 255))


def test_palette_png_transparency_is_flattened_onto_white() -> None:
    result = run(image.process, images.palette_png_with_transparency(), ".png")

    assert result.metadata["mode"] == "P"
    thumb = thumbnail_of(result)
    assert is_close(thumb.getpixel((3, 10)), images.RED)
    assert is_close(thumb.getpixel((16, 10)), (255, 255, 255))


def test_16_bit_grey_png_is_scaled_not_clipped() -> None:
    result = run(image.process, images.png_16bit_grey(32768), ".png")

    thumb = thumbnail_of(result)
    assert thumb.mode == "L"
    grey = thumb.getpixel((10, 5))
    assert isinstance(grey, int)
    assert 118 <= grey <= 138


@pytest.mark.parametrize("size", [(1500, 900), (300, 5000), (4096, 4096)])
def test_large_16_bit_grey_png_gets_a_thumbnail(size: tuple[int, int]) -> None:
    # Over 4x the thumbnail on a side, Pillow's thumbnail() reduce()s first, which has
    # no 16-bit modes: these ended FAILED Corrupt "image has wrong mode".
    result = run(image.process, images.png_16bit_grey_gradient(*size), ".png")

    assert result.metadata["mode"] == "I;16"
    assert (result.metadata["width"], result.metadata["height"]) == size
    thumb = thumbnail_of(result)
    assert thumb.mode == "L"
    assert max(thumb.size) == 256
    assert (thumb.width, thumb.height) == (
        result.metadata["thumbnail"]["width"],
        result.metadata["thumbnail"]["height"],
    )
    # Scaled, not clipped: black on the left, near white on the right.
    left, right = thumb.getpixel((1, thumb.height // 2)), thumb.getpixel((thumb.width - 2, 5))
    assert isinstance(left, int)
    assert isinstance(right, int)
    assert left < 48
    assert right > 200


@pytest.mark.parametrize(
    ("keep", "exif"),
    [
        # Cut inside the TIFF header: nothing can be read.
        (12, {}),
        # Cut inside the Exif sub-directory: the base tags are still there.
        (150, {"make": "Canon", "model": "Canon EOS 5D Mark IV", "orientation": 6}),
    ],
)
def test_jpeg_with_a_damaged_exif_block_keeps_what_can_be_read(
    keep: int, exif: dict[str, object]
) -> None:
    # Ended FAILED Corrupt "unpack requires a buffer of 4 bytes": the strip resize
    # copied the raw EXIF onto the thumbnail and exif_transpose re-parsed it.
    result = run(image.process, images.photo_with_damaged_exif(keep), ".jpg")

    assert result.metadata["exif"] == exif
    assert (result.metadata["width"], result.metadata["height"]) == (1600, 1200)
    thumb = thumbnail_of(result)
    if exif:  # orientation 6 read: turned upright, the red half on top
        assert thumb.size == (192, 256)
        assert is_close(thumb.getpixel((96, 10)), images.RED)
    else:  # nothing read: as stored
        assert thumb.size == (256, 192)
        assert is_close(thumb.getpixel((10, 96)), images.RED)


def test_png_with_a_damaged_exif_chunk_is_processed() -> None:
    # An eXIf chunk cut inside its TIFF header: Pillow's getexif() raises struct.error.
    exif = images.camera_exif(orientation=6).tobytes()[:12]
    data = images.encode(images.halves(600, 300, images.RED, images.BLUE), "PNG", exif=exif)

    result = run(image.process, data, ".png")

    assert result.metadata["exif"] == {}
    assert thumbnail_of(result).size == (256, 128)


def test_cmyk_jpeg_thumbnail_is_rgb() -> None:
    result = run(image.process, images.cmyk_jpeg(), ".jpg")

    assert result.metadata["mode"] == "CMYK"
    thumb = thumbnail_of(result)
    assert thumb.mode == "RGB"
    assert is_close(thumb.getpixel((5, 5)), images.RED, tolerance=60)


def test_animated_png_reports_its_frames() -> None:
    result = run(image.process, images.animated_png(frames=3), ".png")

    assert result.metadata["animated"] is True
    assert result.metadata["frames"] == 3
    assert thumbnail_of(result).size == (32, 32)


def test_still_png_is_one_frame() -> None:
    result = run(image.process, images.png_with_alpha(), ".png")

    assert result.metadata["animated"] is False
    assert result.metadata["frames"] == 1
    assert result.metadata["exif"] == {}


def test_truncated_jpeg_is_corrupt() -> None:
    data = images.noisy_photo(400, 300)

    with pytest.raises(Corrupt, match="truncated"):
        run(image.process, data[: len(data) // 2], ".jpg")


def test_truncated_jpeg_is_corrupt_even_if_pillow_was_told_to_load_truncated_images(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    data = images.noisy_photo(400, 300)

    with pytest.raises(Corrupt):
        run(image.process, data[: len(data) // 2], ".jpg")


def test_jpeg_signature_followed_by_garbage_is_corrupt() -> None:
    with pytest.raises(Corrupt, match="not a readable JPEG image"):
        run(image.process, b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4, ".jpg")


def test_empty_image_is_corrupt() -> None:
    with pytest.raises(Corrupt, match="empty"):
        run(image.process, b"", ".png")


def test_image_over_the_pixel_limit_is_refused() -> None:
    # 60x40 = 2400 pixels: over the limit, under twice the limit (where Pillow
    # itself would only warn).
    data = images.encode(Image.new("RGB", (60, 40)), "PNG")

    with pytest.raises(DecompressionBomb, match="2400 pixels is over the limit of 2000"):
        run(image.process, data, ".png", image_max_pixels=2000)


def test_decompression_bomb_is_refused_before_decoding() -> None:
    # 20000 x 20000 pixels in a file of a few kilobytes: Pillow's own error range.
    data = images.blank_png(20_000, 20_000)
    assert len(data) < 100_000

    with pytest.raises(DecompressionBomb, match="decompression bomb"):
        run(image.process, data, ".png", image_max_pixels=10_000_000)


def test_pixel_limit_allows_an_image_at_the_limit() -> None:
    data = images.encode(Image.new("RGB", (50, 40)), "PNG")

    result = run(image.process, data, ".png", image_max_pixels=2000)

    assert result.metadata["width"] == 50


@pytest.mark.parametrize(
    ("extension", "data", "what"),
    [
        (".jpg", text_pdf([["hello"]]), "a PDF document"),
        (".png", images.photo(40, 20), "a JPEG image"),
        (".jpeg", images.png_with_alpha(), "a PNG image"),
        (".jpg", b"<html><body>Not found</body></html>", "text"),
        (".png", bytes(range(256)), "unrecognised binary data"),
    ],
)
def test_content_must_match_the_extension(extension: str, data: bytes, what: str) -> None:
    with pytest.raises(ContentMismatch) as raised:
        run(image.process, data, extension)

    assert str(raised.value) == (
        f"content does not match extension: the {extension} file holds {what}"
    )


def test_other_extensions_are_unsupported() -> None:
    with pytest.raises(Unsupported, match=r"\.gif"):
        run(image.process, b"GIF89a", ".gif")


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"DateTimeOriginal": "0000:00:00 00:00:00"}, {}),
        ({"DateTimeOriginal": "2023:01:02 03:04:05"}, {"date_taken": "2023-01-02T03:04:05"}),
        (
            {"DateTimeDigitized": "2023:01:02 03:04:05", "OffsetTimeOriginal": "bogus"},
            {"date_taken": "2023-01-02T03:04:05"},
        ),
    ],
)
def test_exif_dates(tags: dict[str, str], expected: dict[str, str]) -> None:
    exif = Image.Exif()
    details = exif.get_ifd(0x8769)
    names = {"DateTimeOriginal": 0x9003, "DateTimeDigitized": 0x9004, "OffsetTimeOriginal": 0x9011}
    for name, value in tags.items():
        details[names[name]] = value

    assert image.exif_subset(exif, include_gps=True) == expected


def test_exif_values_of_the_wrong_shape_are_ignored() -> None:
    exif = Image.Exif()
    exif[0x010F] = b"Nikon\x00\x00"  # Make as bytes, NUL-padded
    exif[0x0110] = 12  # Model that is not text
    exif[0x0112] = 9  # Orientation out of range
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (48.0, 51.0)  # latitude with two parts
    gps[3], gps[4] = "E", (2.0, 17.0, 40.0)

    assert image.exif_subset(exif, include_gps=True) == {"make": "Nikon"}


def test_multi_picture_jpeg_from_a_phone() -> None:
    left = images.halves(64, 48, images.RED, images.RED)
    right = images.halves(64, 48, images.BLUE, images.BLUE)

    result = run(
        image.process, images.encode(left, "MPO", save_all=True, append_images=[right]), ".jpg"
    )

    assert result.metadata["format"] == "MPO"
    assert result.metadata["frames"] == 2
    assert is_close(thumbnail_of(result).getpixel((5, 5)), images.RED)


def test_image_module_does_not_import_the_document_libraries() -> None:
    # Cold start: the image function must not pay for PDFium or chardet.
    code = (
        "import sys, fileproc.processors.image; "
        "print(sorted({'pypdfium2', 'pypdf', 'chardet'} & set(sys.modules)))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()

    assert loaded == "[]"
