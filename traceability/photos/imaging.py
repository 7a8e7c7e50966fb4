"""Check an uploaded photo and re-encode it as a clean JPEG plus a thumbnail.

Uploads are untrusted: the type is decided from the bytes alone, size and pixel count are capped
before decoding, and the output is always a fresh encode so no metadata (GPS above all) survives.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024  # refuse larger uploads before decoding
# Refused from the header, before any decoding. 25 MP takes a 24 MP camera's original and what
# phones store by default (their 48-50 MP sensors bin to 12 MP); the field app sends at most 1600 px.
# Above it, the bytes decoded grow while nothing stored gets better: a 154 kB PNG of 6,300 x 6,300
# passed the old cap of 40 MP and cost a worker 446 MB. Decoding is bounded too (``_decode``).
MAX_PIXELS = 25_000_000
ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "MPO"}  # MPO: what many phone cameras write for JPEG
FULL_SIDE = 1600  # longest side of the stored photo
THUMB_SIDE = 320
REASONS = frozenset({"too_large", "not_an_image", "unsupported_type", "too_many_pixels", "empty"})

# Only these decoders ever see the bytes. MPO has no opener of its own: Pillow's JPEG opener
# returns an MPO image when the file carries the multi-picture marker.
_OPEN_FORMATS = ("JPEG", "PNG", "WEBP")
_BAND_ROWS = 64  # rows of the reduced image made per band: a few megabytes of copies at a time
_JPEG_OPTIONS = {"format": "JPEG", "quality": 82, "progressive": True, "optimize": True}


class PhotoRejected(ValueError):
    """The upload is not acceptable; ``reason`` is a stable code the app translates."""

    def __init__(self, reason: str):
        if reason not in REASONS:
            raise ValueError(f"unknown rejection reason: {reason!r}")
        super().__init__(f"photo rejected: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class ProcessedPhoto:
    image: bytes  # JPEG, longest side <= FULL_SIDE, no metadata
    thumbnail: bytes  # JPEG, longest side <= THUMB_SIDE
    width: int
    height: int
    sha256: str  # hex digest of `image`


def process_photo(data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES) -> ProcessedPhoto:
    if not data:
        raise PhotoRejected("empty")
    if len(data) > max_bytes:  # before any parsing, so a huge body costs nothing more
        raise PhotoRejected("too_large")
    # catch_warnings: the bomb warning must become a rejection, and Pillow's chatter about odd
    # metadata in hostile files must not reach a caller running with warnings as errors.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            _open_checked(data).verify()  # integrity pass; a verified image cannot be reused
            full = _flatten_rgb(ImageOps.exif_transpose(_decode(_open_checked(data))))
        except PhotoRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise PhotoRejected("too_many_pixels") from None
        except Exception:  # decoders raise OSError, SyntaxError, struct.error... on junk
            raise PhotoRejected("not_an_image") from None
        full.thumbnail((FULL_SIDE, FULL_SIDE), Image.Resampling.LANCZOS)  # shrinks, never enlarges
        thumb = full.copy()
        thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
        image, thumbnail = _encode(full), _encode(thumb)
    digest = hashlib.sha256(image).hexdigest()
    return ProcessedPhoto(image, thumbnail, full.width, full.height, digest)


def _decode(img: Image.Image) -> Image.Image:
    """The image decoded once at full size at most, then at once cut down by a whole factor to
    between one and two times the stored side, so every later step (rotation, flattening,
    resampling) works on a few megabytes. A JPEG is not even decoded at full size: ``draft`` makes
    its decoder scale by 1/2, 1/4 or 1/8. A PNG or WebP cannot be, so its worst case is MAX_PIXELS
    x 4 bytes (Pillow keeps RGB in four), 100 MB, for a moment."""
    img.draft("RGB", (FULL_SIDE, FULL_SIDE))
    _load_strictly(img)  # a truncated file fails here
    factor = max(img.size) // FULL_SIDE  # still at least FULL_SIDE: the resampling after has pixels to spare
    if factor < 2:
        return img
    if img.mode in ("1", "P") or img.mode.startswith("I;16"):  # modes reduce() does not average
        size = (max(1, img.width // factor), max(1, img.height // factor))
        return img.resize(size, Image.Resampling.NEAREST)
    # In bands: reduce() of a whole RGBA image first makes a premultiplied copy of all of it.
    reduced = Image.new(img.mode, (-(-img.width // factor), -(-img.height // factor)))
    step = factor * _BAND_ROWS
    for top in range(0, img.height, step):
        band = img.crop((0, top, img.width, min(top + step, img.height)))
        reduced.paste(band.reduce(factor), (0, top // factor))
    reduced.info = dict(img.info)  # the orientation and the transparency go with the pixels
    return reduced


def _load_strictly(img: Image.Image) -> None:
    """Decode, refusing truncated data even when another library (WeasyPrint does, on import)
    has switched Pillow's process-wide ``LOAD_TRUNCATED_IMAGES`` on."""
    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        img.load()
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous


def _open_checked(data: bytes) -> Image.Image:
    try:
        img = Image.open(BytesIO(data), formats=_OPEN_FORMATS)
    except UnidentifiedImageError:
        raise PhotoRejected(_classify_unknown(data)) from None
    if img.format not in ALLOWED_FORMATS:  # belt and braces, should the openers ever change
        raise PhotoRejected("unsupported_type")
    # Our cap is lower than Pillow's MAX_IMAGE_PIXELS; the header size is known before decoding.
    if img.width * img.height > MAX_PIXELS:
        raise PhotoRejected("too_many_pixels")
    return img


def _classify_unknown(data: bytes) -> str:
    """Tell "a real image we don't take" (GIF, BMP, TIFF...) from "not an image at all".

    This only reads the header with the other plugins to name the type; nothing is decoded.
    """
    try:
        with Image.open(BytesIO(data)):
            return "unsupported_type"
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return "unsupported_type"  # a huge GIF/TIFF is still a GIF/TIFF
    except Exception:
        return "not_an_image"


def _flatten_rgb(img: Image.Image) -> Image.Image:
    if img.mode.startswith("I;16"):  # 16-bit greyscale PNG: scale down, a plain convert clips
        img = img.convert("I").point(lambda v: v / 256).convert("L")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info:
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")  # transparency becomes white, not black
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return img.convert("RGB")


def _encode(img: Image.Image) -> bytes:
    # Pillow takes the JPEG comment (and may take more in future) from img.info: drop it all.
    # No exif=, icc_profile= or xmp= arguments, so no location or camera data is written.
    img.info.clear()
    out = BytesIO()
    img.save(out, **_JPEG_OPTIONS)
    return out.getvalue()
