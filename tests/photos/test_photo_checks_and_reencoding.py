"""Photo checks and re-encoding. Every input is built in memory with Pillow."""

from __future__ import annotations

import hashlib
import struct
import warnings
import zlib
from io import BytesIO

import pytest
from PIL import Image

from traceability.photos.imaging import (
    FULL_SIDE,
    MAX_UPLOAD_BYTES,
    THUMB_SIDE,
    PhotoRejected,
    ProcessedPhoto,
    process_photo,
)


def encode(img: Image.Image, fmt: str, **options) -> bytes:
    out = BytesIO()
    img.save(out, fmt, **options)
    return out.getvalue()


def gradient(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    # Not a flat colour, so the JPEG encoder has real content and orientation is checkable.
    return Image.linear_gradient("L").resize(size).convert(mode)


def opened(data: bytes) -> Image.Image:
    img = Image.open(BytesIO(data))
    img.load()
    return img


def rejected(data: bytes, **kwargs) -> str:
    with pytest.raises(PhotoRejected) as caught:
        process_photo(data, **kwargs)
    return caught.value.reason


def png_with_size(width: int, height: int) -> bytes:
    """A real, tiny PNG whose IHDR claims another size (the CRC is fixed so it still parses)."""
    data = bytearray(encode(Image.new("L", (8, 8)), "PNG"))
    ihdr = 8 + 4  # signature, then the chunk length; the chunk type starts here
    data[ihdr + 4 : ihdr + 12] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr : ihdr + 4 + 13]))
    data[ihdr + 17 : ihdr + 21] = struct.pack(">I", crc)
    return bytes(data)


def test_gps_and_all_metadata_are_removed_and_orientation_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (21.0, 1.0, 30.5), 3: "E", 4: (105.0, 51.0, 12.0)}
    source = encode(
        gradient((800, 600)),
        "JPEG",
        exif=exif,
        comment=b"farm at 21.0N",
        xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>",
    )
    assert b"Exif" in source and b"farm at" in source and b"xmpmeta" in source  # the test is real
    assert Image.open(BytesIO(source)).getexif().get_ifd(0x8825)

    photo = process_photo(source)

    assert isinstance(photo, ProcessedPhoto)
    assert photo.image != source
    for blob in (photo.image, photo.thumbnail):
        img = opened(blob)
        assert img.format == "JPEG" and img.mode == "RGB"
        assert len(img.getexif()) == 0
        assert not {"exif", "xmp", "icc_profile", "comment"} & img.info.keys()
        for marker in (b"Exif", b"GPS", b"PhoneMaker", b"farm at", b"xmpmeta"):
            assert marker not in blob
    full = opened(photo.image)
    assert (photo.width, photo.height) == full.size == (600, 800)  # rotated upright
    assert full.info.get("progressive") or full.info.get("progression")
    assert max(opened(photo.thumbnail).size) == THUMB_SIDE
    assert photo.sha256 == hashlib.sha256(photo.image).hexdigest()


def test_png_transparency_is_flattened_on_white():
    img = Image.new("RGBA", (200, 100), (255, 0, 0, 255))
    img.paste((0, 0, 0, 0), (100, 0, 200, 100))  # right half fully transparent black
    photo = process_photo(encode(img, "PNG"))
    out = opened(photo.image)
    assert out.format == "JPEG" and out.mode == "RGB"
    assert all(channel > 240 for channel in out.getpixel((150, 50)))  # white, not black
    assert out.getpixel((50, 50))[0] > 200


def test_palette_png_with_transparency_does_not_warn():
    img = Image.new("P", (50, 50), 0)
    img.putpalette([0, 0, 0, 0, 128, 0])
    photo = process_photo(encode(img, "PNG", transparency=0))
    assert opened(photo.image).getpixel((10, 10)) == (255, 255, 255)


def test_webp_is_accepted():
    photo = process_photo(encode(gradient((300, 200)), "WEBP"))
    assert (photo.width, photo.height) == (300, 200)


def test_mpo_from_phone_camera_is_accepted():
    first, second = gradient((300, 200)), gradient((300, 200), "RGB").rotate(180)
    source = encode(first, "MPO", save_all=True, append_images=[second])
    assert Image.open(BytesIO(source)).format == "MPO"  # the test is real
    photo = process_photo(source)
    assert (photo.width, photo.height) == (300, 200)
    assert opened(photo.image).format == "JPEG"


def test_large_image_is_shrunk_to_full_side():
    photo = process_photo(encode(gradient((4000, 3000)), "JPEG", quality=50))
    assert (photo.width, photo.height) == (FULL_SIDE, 1200)
    assert opened(photo.image).size == (1600, 1200)
    assert opened(photo.thumbnail).size == (THUMB_SIDE, 240)


def test_small_image_is_not_enlarged():
    source = encode(gradient((100, 80)), "PNG")
    photo = process_photo(source)
    assert (photo.width, photo.height) == (100, 80)
    assert opened(photo.image).size == (100, 80)
    assert opened(photo.thumbnail).size == (100, 80)
    assert photo.image != source


@pytest.mark.parametrize(
    "data",
    [
        b"\x7fELF" + bytes(2000),
        b"MZ" + bytes(2000),
        b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n",
        b"just some text, not a picture\n" * 10,
        b"PK\x03\x04" + bytes(100),
    ],
    ids=["elf", "pe", "pdf", "text", "zip"],
)
def test_non_images_are_rejected(data):
    assert rejected(data) == "not_an_image"


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF"])
def test_other_image_formats_are_unsupported(fmt):
    assert rejected(encode(gradient((40, 30)), fmt)) == "unsupported_type"


def test_empty_upload():
    assert rejected(b"") == "empty"


def test_too_large_is_refused_before_decoding():
    assert rejected(b"\xff\xd8" + bytes(11 * 1024 * 1024)) == "too_large"
    assert rejected(bytes(MAX_UPLOAD_BYTES + 1)) == "too_large"
    small = encode(gradient((100, 100)), "PNG")
    assert rejected(small, max_bytes=len(small) - 1) == "too_large"
    assert process_photo(small, max_bytes=len(small)).width == 100


@pytest.mark.parametrize(
    "size",
    [(20000, 20000), (10000, 10000), (7000, 6000)],
    ids=["pillow-error", "pillow-warning", "our-cap-only"],
)
def test_pixel_bombs_are_refused(size):
    assert rejected(png_with_size(*size)) == "too_many_pixels"


def test_pixel_bomb_warning_never_escapes_even_with_default_filters():
    # pytest runs with warnings as errors; check the module does not rely on that.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert rejected(png_with_size(10000, 10000)) == "too_many_pixels"
    assert caught == []


def test_real_bilevel_bomb_is_small_on_disk_but_refused():
    data = encode(Image.new("1", (9000, 9000)), "PNG")
    assert len(data) < 100_000
    assert rejected(data) == "too_many_pixels"


def test_truncated_jpeg_is_rejected():
    data = encode(gradient((400, 300)), "JPEG")
    assert rejected(data[: len(data) // 2]) == "not_an_image"


def test_corrupt_png_is_rejected():
    data = bytearray(encode(gradient((64, 64)), "PNG"))
    data[-30] ^= 0xFF  # inside the image data: CRC no longer matches
    assert rejected(bytes(data)) == "not_an_image"


def test_unknown_reason_is_a_programming_error():
    with pytest.raises(ValueError):
        PhotoRejected("because")


def test_truncated_jpeg_is_rejected_even_after_weasyprint_is_imported():
    import weasyprint  # noqa: F401  (it switches Pillow's LOAD_TRUNCATED_IMAGES on for the whole process)
    from PIL import ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = True
    try:
        buffer = BytesIO()
        Image.new("RGB", (400, 300), (200, 30, 30)).save(buffer, "JPEG")
        with pytest.raises(PhotoRejected) as rejected:
            process_photo(buffer.getvalue()[: len(buffer.getvalue()) // 2])
        assert rejected.value.reason == "not_an_image"
        assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # left as it was found
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = True


def test_a_small_file_of_many_pixels_is_refused_from_its_header():
    """The hostile upload of issue 12: 6,300 x 6,300 pixels in a file of a few kB."""
    data = encode(Image.new("L", (6300, 6300)), "PNG")
    assert len(data) < 160_000 and Image.open(BytesIO(data)).size == (6300, 6300)
    assert rejected(data) == "too_many_pixels"
    assert process_photo(encode(Image.new("L", (5000, 5000)), "PNG")).width == FULL_SIDE  # 25 MP: a camera's


def test_too_many_pixels_reads_as_too_large(ctx):
    from tests.factories import make_org, make_user
    from traceability.errors import DomainError
    from traceability.photos.services import attach_photo

    org = make_org("tay-hoang")
    user = make_user(org)
    messages = []
    for data in (encode(Image.new("L", (6300, 6300)), "PNG"), bytes(MAX_UPLOAD_BYTES + 1)):
        with pytest.raises(DomainError) as caught:
            attach_photo(org, user, data, event_id=None)
        messages.append(caught.value.message)
    assert messages[0] == messages[1] == "Ảnh lớn hơn 10 MB."


@pytest.mark.parametrize("mode", ["RGBA", "P", "1", "I;16", "LA"])
def test_wide_images_are_cut_down_right_after_decoding_in_every_mode(mode):
    """Decoded at full size, then at once reduced (averaging, or nearest for palettes and bits):
    the result is the same size and orientation as from the plain path."""
    img = gradient((6400, 2000), "L")
    img = img.convert(mode) if mode != "I;16" else img.convert("I").point(lambda v: v * 256).convert("I;16")
    exif = Image.Exif()
    exif[0x0112] = 6  # shown rotated: the orientation must survive the reduction
    photo = process_photo(encode(img, "PNG", exif=exif))
    assert (photo.width, photo.height) == (500, FULL_SIDE)
    assert opened(photo.image).mode == "RGB"
