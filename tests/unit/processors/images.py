"""Real image files made in the tests with Pillow: EXIF, alpha, animation, damage."""

from __future__ import annotations

import io

from PIL import Image
from PIL.ExifTags import GPS, IFD, Base

RED = (255, 0, 0)
BLUE = (0, 0, 255)


def encode(image: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def halves(
    width: int, height: int, left: tuple[int, int, int], right: tuple[int, int, int]
) -> Image.Image:
    """An RGB image, left half one colour, right half another."""
    image = Image.new("RGB", (width, height), left)
    image.paste(right, (width // 2, 0, width, height))
    return image


def camera_exif(orientation: int = 1, with_gps: bool = True) -> Image.Exif:
    """The tags a phone writes: make, model, date taken, orientation and GPS."""
    exif = Image.Exif()
    exif[Base.Make] = "Canon"
    exif[Base.Model] = "Canon EOS 5D Mark IV"
    exif[Base.Orientation] = orientation
    details = exif.get_ifd(IFD.Exif)
    details[Base.DateTimeOriginal] = "2024:05:01 12:34:56"
    details[Base.OffsetTimeOriginal] = "+02:00"
    if with_gps:
        gps = exif.get_ifd(IFD.GPSInfo)
        gps[GPS.GPSLatitudeRef] = "N"
        gps[GPS.GPSLatitude] = (48.0, 51.0, 29.6)
        gps[GPS.GPSLongitudeRef] = "W"
        gps[GPS.GPSLongitude] = (2.0, 17.0, 40.2)
        gps[GPS.GPSAltitudeRef] = b"\x00"
        gps[GPS.GPSAltitude] = 35.5
    return exif


def photo(width: int = 600, height: int = 400, orientation: int = 1) -> bytes:
    """A JPEG whose stored pixels are red on the left and blue on the right."""
    return encode(
        halves(width, height, RED, BLUE), "JPEG", quality=90, exif=camera_exif(orientation)
    )


def noisy_photo(width: int, height: int) -> bytes:
    """A JPEG with photo-like detail (noise), so the decoder has real work."""
    grey = Image.effect_noise((width, height), 40)
    image = Image.merge("RGB", (grey, Image.linear_gradient("L").resize((width, height)), grey))
    return encode(image, "JPEG", quality=85)


def png_with_alpha() -> bytes:
    """Opaque red on the left; on the right fully transparent pixels whose colour is green."""
    image = Image.new("RGBA", (80, 40), (255, 0, 0, 255))
    image.paste((0, 255, 0, 0), (40, 0, 80, 40))
    return encode(image, "PNG")


def animated_png(frames: int = 3) -> bytes:
    images = [Image.new("RGB", (32, 32), (40 * index, 0, 0)) for index in range(frames)]
    return encode(images[0], "PNG", save_all=True, append_images=images[1:], duration=100, loop=0)


def png_16bit_grey(value: int = 32768, size: tuple[int, int] = (20, 10)) -> bytes:
    return encode(Image.new("I;16", size, value), "PNG")


def png_16bit_grey_gradient(width: int, height: int) -> bytes:
    """A 16-bit greyscale PNG (a depth map, a scan) from black on the left to near
    white on the right; Pillow opens it as I;16."""
    ramp = Image.linear_gradient("L").rotate(90).resize((width, height))
    return encode(ramp.point(lambda value: value * 256, "I").convert("I;16"), "PNG")


def photo_with_damaged_exif(keep: int, orientation: int = 6) -> bytes:
    """A camera JPEG (1600x1200: thumbnailed in strips) whose EXIF block is cut after
    ``keep`` bytes, as a broken writer or a truncated copy leaves it."""
    exif = camera_exif(orientation).tobytes()
    return encode(halves(1600, 1200, RED, BLUE), "JPEG", quality=90, exif=exif[:keep])


def palette_png_with_transparency() -> bytes:
    image = Image.new("P", (20, 20), 0)
    image.putpalette([0, 255, 0, 255, 0, 0] + [0] * (256 * 3 - 6))
    image.paste(1, (0, 0, 10, 20))  # left half red (index 1), right half index 0
    return encode(image, "PNG", transparency=0)  # index 0 (green) is transparent


def cmyk_jpeg() -> bytes:
    return encode(Image.new("CMYK", (30, 20), (0, 255, 255, 0)), "JPEG")


def blank_png(width: int, height: int) -> bytes:
    """A bilevel PNG that compresses to almost nothing, whatever its size: bomb material."""
    return encode(Image.new("1", (width, height)), "PNG", optimize=True)
