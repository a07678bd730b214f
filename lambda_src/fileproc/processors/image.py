"""Image processor (.jpg .jpeg .png): dimensions, a small EXIF subset and a JPEG thumbnail.

Metadata: ``format`` (Pillow's name: JPEG, MPO, PNG), ``width``/``height`` as
stored, ``mode``, ``animated``, ``frames``, ``exif`` (``make``, ``model``,
``date_taken`` as ISO-8601, ``orientation`` 1..8, and ``gps`` only when
EXIF_INCLUDE_GPS is on), ``thumbnail`` (``width``, ``height``, after rotation).
Artefact ``thumbnail``: ``thumbnail.jpg``, longest side THUMBNAIL_MAX_PX.

Memory: the object is spooled to a temporary file, and a JPEG is decoded with
Pillow's draft mode at 1/2..1/8 scale, so a 12-megapixel photo is never fully
decoded. The thumbnail is made before the EXIF rotation, which then turns only
the small image (a rotation commutes with fitting into a square box).

Peak memory is bounded by IMAGE_DECODE_BUDGET_MB, not by the file's shape: before
anything is decoded, decode_cost() adds up what decoding (at the draft scale) and
thumbnailing take from the mode, the bands and the rows (a 1 x 100,000,000 RGB
PNG of 390 KB costs 1.2 GB: 4 bytes a pixel plus 8 a row); an image that costs
more than the budget fails TooLarge with both numbers in the message. A file's
peak memory growth is at most its decode cost + DECODE_OVERHEAD_BYTES, so at most
the budget + 8 MB. The budget is IMAGE_DECODE_BUDGET_MB, lowered to what the
function can give a file less those 8 MB (decode_budget: the isolation's limit,
from the function's memory): the image function's 1,024 MB by default decode a
10,000 x 5,000 16-bit PNG (101 MB), a 128 MB function refuses it TooLarge, saying
which budget, instead of running out of memory. IMAGE_MAX_PIXELS remains the
decompression-bomb limit.
"""

from __future__ import annotations

import io
import math
import re
import struct
import warnings
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, BinaryIO

from PIL import Image, ImageFile, UnidentifiedImageError
from PIL.ExifTags import GPS, IFD, Base

from fileproc.config import Settings
from fileproc.errors import Corrupt, DecompressionBomb, TooLarge, Unsupported
from fileproc.keys import ArtefactName
from fileproc.processors import sniff
from fileproc.processors.base import Artefact, Extraction
from fileproc.processors.streams import read_head, spooled

PILLOW_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}
THUMBNAIL_QUALITY = 85
MAX_EXIF_TEXT = 128
WHITE = (255, 255, 255)
# Thumbnail rows made per resize call (see _resized_in_strips), and compressed
# bytes handed to the JPEG decoder per call (Pillow's default 64 KB is held
# twice while decoding, a sizeable part of a photo's peak memory).
STRIP_ROWS = 16
_STRIP_MODES = frozenset({"RGB", "L", "CMYK"})
# EXIF orientation -> the turn that makes the stored image upright (as ImageOps.exif_transpose).
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
DECODE_BLOCK_BYTES = 16 * 1024

# The decode cost's constants (decode_cost). Pillow keeps a pointer to each row;
# the decoders keep row buffers: PNG the current and previous rows (up to 8 bytes
# a pixel each), libjpeg a few rows per component (measured: under 10 bytes a
# column); doubled for headroom.
MiB = 1024 * 1024
ROW_OVERHEAD_BYTES = 8
DECODER_BYTES_PER_COLUMN = 32
COEFFICIENT_BYTES = 2
# What a file takes beyond its decode cost, whatever its size: read buffers, the
# thumbnail and its JPEG encoding (tests/unit/processors/test_image_memory.py).
DECODE_OVERHEAD_BYTES = 8 * MiB
_OVERHEAD_MB = DECODE_OVERHEAD_BYTES // MiB

# What Pillow raises for damaged data, truncation included (LOAD_TRUNCATED_IMAGES off).
# PngImagePlugin's ValueErrors for MAX_TEXT_CHUNK and MAX_TEXT_MEMORY.
_TEXT_BOMB = re.compile(r"Decompressed data too large|Too much memory used in text chunks", re.I)
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, zlib.error)


def process(stream: BinaryIO, *, size: int, extension: str, settings: Settings) -> Extraction:
    pillow_format = PILLOW_FORMATS.get(extension)
    if pillow_format is None:
        raise Unsupported(f"the image processor does not handle {extension or 'no extension'}")
    head = read_head(stream, sniff.HEAD_BYTES)
    sniff.check(head, extension)

    # Module globals of Pillow: set on every call so nothing else can loosen them.
    Image.MAX_IMAGE_PIXELS = settings.image_max_pixels
    ImageFile.LOAD_TRUNCATED_IMAGES = False

    with spooled(head, stream) as file, _bombs_refused(), _decode_errors(pillow_format):
        image = Image.open(file, formats=[pillow_format])
        image.decodermaxblock = DECODE_BLOCK_BYTES
        width, height = image.size
        if width * height > settings.image_max_pixels:
            raise DecompressionBomb(
                f"{width}x{height} = {width * height} pixels is over the limit of "
                f"{settings.image_max_pixels} pixels"
            )
        mode = image.mode  # as stored (a JPEG's draft may change it)
        box = (settings.thumbnail_max_px, settings.thumbnail_max_px)
        image.draft("RGB", box)  # a JPEG decodes at 1/2..1/8 scale: what the cost counts
        cost = decode_cost(image, settings.thumbnail_max_px, full_size=(width, height))
        budget_mb, which = decode_budget(settings)
        if cost > budget_mb * MiB:
            raise TooLarge(
                f"decoding this {width}x{height} {mode} image takes about "
                f"{math.ceil(cost / MiB)} MB, over the image decode budget of "
                f"{budget_mb} MB ({which})"
            )
        # After the budget check: a PNG's getexif() decodes the whole image (an eXIf
        # chunk may follow the pixels).
        exif = read_exif(image)
        metadata: dict[str, Any] = {
            "format": image.format,
            "width": width,
            "height": height,
            "mode": mode,
            "animated": bool(getattr(image, "is_animated", False)),
            "frames": int(getattr(image, "n_frames", 1)),
            "exif": exif_subset(exif, include_gps=settings.exif_include_gps),
        }
        thumbnail = make_thumbnail(image, settings.thumbnail_max_px, exif.get(Base.Orientation))

    metadata["thumbnail"] = {"width": thumbnail.width, "height": thumbnail.height}
    body = io.BytesIO()
    thumbnail.save(body, "JPEG", quality=THUMBNAIL_QUALITY)
    return Extraction(
        metadata=metadata,
        artefacts={
            ArtefactName.THUMBNAIL: Artefact("thumbnail.jpg", body.getvalue(), "image/jpeg")
        },
    )


@contextmanager
def _bombs_refused() -> Iterator[None]:
    # Pillow only warns above MAX_IMAGE_PIXELS (and raises above twice that);
    # the warning is silenced here because process() refuses that case itself.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            yield
        except Image.DecompressionBombError as exc:
            raise DecompressionBomb(str(exc)) from None


@contextmanager
def _decode_errors(pillow_format: str) -> Iterator[None]:
    try:
        yield
    except UnidentifiedImageError:
        raise Corrupt(f"not a readable {pillow_format} image") from None
    except _DECODE_ERRORS as exc:
        if isinstance(exc, ValueError) and _TEXT_BOMB.search(str(exc)):
            # Pillow's caps on PNG text chunks: a compressed text bomb, not damage.
            raise DecompressionBomb(f"{pillow_format} text metadata: {exc}") from None
        raise Corrupt(f"damaged {pillow_format} image: {exc}") from None


def decode_budget(settings: Settings) -> tuple[int, str]:
    """The decode budget in MB, and where it comes from: IMAGE_DECODE_BUDGET_MB, or
    less when the memory a file may use in this function (Settings.file_memory_mb,
    the isolation's limit) cannot hold that budget and DECODE_OVERHEAD_BYTES."""
    budget = settings.image_decode_budget_mb
    room = None if settings.file_memory_mb is None else settings.file_memory_mb - _OVERHEAD_MB
    if room is None or room >= budget:
        return budget, "IMAGE_DECODE_BUDGET_MB"
    return max(room, 0), (
        f"the {settings.file_memory_mb} MB a file may use in this function less "
        f"{_OVERHEAD_MB} MB; IMAGE_DECODE_BUDGET_MB is {budget}"
    )


def decode_cost(image: Image.Image, max_px: int, *, full_size: tuple[int, int]) -> int:
    """Bytes that decoding ``image`` (at its draft size) and thumbnailing it take at most.

    - the decoded image: a row pointer plus the row's pixels per row, in Pillow's
      storage (_pixel_bytes: 1 for 1, L, P; 2 for I;16; 4 for the rest, RGB included);
    - the thumbnail's working copy: none for a resize in strips or an image that
      fits, a quarter of the decoded image for thumbnail()'s reduce() (by 2 or
      more a side), plus a whole premultiplied copy for RGBA and LA, and a
      thumbnail-wide column of the image for a 16-bit resize;
    - the decoder's row buffers, DECODER_BYTES_PER_COLUMN per column of the full
      image, and a progressive JPEG's coefficients, COEFFICIENT_BYTES per sample
      of the full image (libjpeg keeps them all, whatever the draft scale).
    """
    width, height = image.size
    mode = image.mode
    decoded = height * (width * _pixel_bytes(mode) + ROW_OVERHEAD_BYTES)
    size = thumbnail_size(image.size, max_px)
    if size is None or _resizable_in_strips(image, size):
        working = 0
    elif mode.startswith("I;16"):
        working = height * size[0] * 4
    elif mode in ("RGBA", "LA"):
        working = decoded + decoded // 4
    else:
        working = decoded // 4
    full_width, full_height = full_size
    decoder = full_width * DECODER_BYTES_PER_COLUMN
    if image.info.get("progressive"):
        decoder += full_width * full_height * len(image.getbands()) * COEFFICIENT_BYTES
    return decoded + working + decoder


def _pixel_bytes(mode: str) -> int:
    if mode in ("1", "L", "P"):
        return 1
    return 2 if mode.startswith("I;16") else 4


def make_thumbnail(image: Image.Image, max_px: int, orientation: object = None) -> Image.Image:
    """First frame, at most ``max_px`` on its longest side, turned upright by the EXIF
    ``orientation`` (1..8; anything else leaves it as stored), RGB or L."""
    box = (max_px, max_px)
    # For a JPEG, the decoder scales by 1/2..1/8 while decoding (no-op elsewhere).
    image.draft("RGB", box)
    size = thumbnail_size(image.size, max_px)
    if size is not None and _resizable_in_strips(image, size):
        thumbnail = _resized_in_strips(image, size)
        image.close()  # frees the decoded draft before the rotation needs memory
        image = thumbnail
    elif size is not None and image.mode.startswith("I;16"):
        # thumbnail() would reduce() first, which has no 16-bit modes ("image has
        # wrong mode"); resize() has, and its temporary is thumbnail-wide only.
        image = image.resize(size, Image.Resampling.BICUBIC)
    else:
        image.thumbnail(box)
    image.load()  # an image that already fits is decoded here, while its file is open
    # Not ImageOps.exif_transpose: it re-parses the raw EXIF, and damaged EXIF that
    # read_exif() got past would fail the whole file there.
    method = _TRANSPOSE.get(orientation) if isinstance(orientation, int) else None
    if method is not None:
        image = image.transpose(method)
    return _flatten(image)


def thumbnail_size(size: tuple[int, int], max_px: int) -> tuple[int, int] | None:
    """The size ``Image.thumbnail((max_px, max_px))`` gives (same rounding); None if the
    image already fits."""
    width, height = size
    if width <= max_px and height <= max_px:
        return None
    aspect = width / height

    def nearest(number: float, error: Callable[[int], float]) -> int:
        return max(min(math.floor(number), math.ceil(number), key=error), 1)

    if aspect <= 1:
        return nearest(max_px * aspect, lambda n: abs(aspect - n / max_px)), max_px
    return max_px, nearest(max_px / aspect, lambda n: abs(aspect - max_px / n) if n else 0)


def _resizable_in_strips(image: Image.Image, size: tuple[int, int]) -> bool:
    """Whether ``Image.thumbnail`` would be one plain resize: a mode resized as is
    (no premultiplied alpha, no palette), and less than 4x the size (the
    reducing_gap of 2 would first reduce() the image otherwise)."""
    return image.mode in _STRIP_MODES and all(
        source < 4 * target for source, target in zip(image.size, size, strict=True)
    )


def _resized_in_strips(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``image.resize(size, BICUBIC)`` made about STRIP_ROWS rows at a time.

    A whole resize holds a temporary image (new width x source height) next to
    the decoded draft; a strip's is a fraction of it, which keeps the peak
    memory of a photo under twice its decoded draft. Pillow computes each
    output row from the source rows around it, whatever the box, so strips
    join seamlessly: for a landscape 4:3 camera photo the result is Pillow's
    thumbnail pixel for pixel; where the scale is not exact in binary, a
    strip's filter windows can round differently at its edges (on noise, a
    mean difference of a third of a level). The thumbnail carries none of the
    source's info (EXIF, XMP): make_thumbnail gets the orientation separately.
    """
    width, height = size
    scale = image.height / height
    thumbnail = Image.new(image.mode, size)
    for top in range(0, height, STRIP_ROWS):
        bottom = min(height, top + STRIP_ROWS)
        source_box = (0, top * scale, image.width, bottom * scale)
        strip = image.resize((width, bottom - top), Image.Resampling.BICUBIC, box=source_box)
        thumbnail.paste(strip, (0, top))
    return thumbnail


def _flatten(image: Image.Image) -> Image.Image:
    """A JPEG-compatible copy: transparency over white, 16-bit grey scaled to 8 bits."""
    if image.mode in ("RGB", "L"):
        return image
    if image.mode.startswith("I"):
        # 16/32-bit grey: convert() would clip everything above 255 to white.
        return image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if "A" in image.mode or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, WHITE)
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def read_exif(image: Image.Image) -> Image.Exif:
    """The image's EXIF as far as it can be read; empty when its header is damaged.

    A damaged EXIF block (a truncated APP1 segment of a camera photo) must not cost
    the image: the pixels are fine, and what the block holds is a nicety.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Pillow's "Truncated File Read"
        try:
            return image.getexif()
        except _DECODE_ERRORS:
            return Image.Exif()


def _ifd(exif: Image.Exif, tag: int) -> dict[int, Any]:
    """One sub-directory (Exif, GPS); empty when it points past the end of the block."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            return dict(exif.get_ifd(tag))
        except _DECODE_ERRORS:
            return {}


def exif_subset(exif: Image.Exif, *, include_gps: bool) -> dict[str, Any]:
    """Camera make and model, date taken, orientation, and GPS only if allowed."""
    subset: dict[str, Any] = {}
    for key, tag in (("make", Base.Make), ("model", Base.Model)):
        value = _text(exif.get(tag))
        if value:
            subset[key] = value
    details = _ifd(exif, IFD.Exif)
    taken = _exif_datetime(
        details.get(Base.DateTimeOriginal) or details.get(Base.DateTimeDigitized),
        details.get(Base.OffsetTimeOriginal),
    )
    if taken:
        subset["date_taken"] = taken
    orientation = exif.get(Base.Orientation)
    if isinstance(orientation, int) and 1 <= orientation <= 8:
        subset["orientation"] = orientation
    if include_gps:
        gps = _gps(_ifd(exif, IFD.GPSInfo))
        if gps:
            subset["gps"] = gps
    return subset


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if not isinstance(value, str):
        return None
    return value.strip("\x00 \t\r\n")[:MAX_EXIF_TEXT] or None


def _exif_datetime(value: object, offset: object) -> str | None:
    """EXIF "YYYY:MM:DD HH:MM:SS" (+ optional "+02:00") as ISO-8601; None if unusable."""
    text = _text(value)
    if text is None:
        return None
    try:
        taken = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None  # e.g. the "0000:00:00 00:00:00" placeholder of some cameras
    iso = taken.isoformat()
    zone = _text(offset)
    if zone:
        try:
            return datetime.fromisoformat(iso + zone).isoformat()
        except ValueError:
            pass
    return iso


def _gps(info: dict[int, Any]) -> dict[str, float]:
    latitude = _degrees(info.get(GPS.GPSLatitude), info.get(GPS.GPSLatitudeRef), "S")
    longitude = _degrees(info.get(GPS.GPSLongitude), info.get(GPS.GPSLongitudeRef), "W")
    if latitude is None or longitude is None:
        return {}
    gps = {"latitude": latitude, "longitude": longitude}
    altitude = _number(info.get(GPS.GPSAltitude))
    if altitude is not None:
        below_sea_level = info.get(GPS.GPSAltitudeRef) in (1, b"\x01")
        gps["altitude"] = round(-altitude if below_sea_level else altitude, 2)
    return gps


def _degrees(dms: object, ref: object, negative_ref: str) -> float | None:
    if not isinstance(dms, tuple) or len(dms) != 3:
        return None
    parts = [_number(part) for part in dms]
    if any(part is None for part in parts):
        return None
    degrees, minutes, seconds = (float(part or 0) for part in parts)
    value = degrees + minutes / 60 + seconds / 3600
    return round(-value if _text(ref) == negative_ref else value, 7)


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]  # IFDRational, int or float
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) else None
