"""QR codes drawn straight into the label sheet's PDF as filled rectangles, after WeasyPrint.

WeasyPrint lays out the labels' text around an empty box where each QR goes; this module then
appends, to each page's content, the dark modules of each code as vector rectangles. Compared
with one PNG image per label (the first design), layout no longer decodes and embeds thousands of
images, the codes stay sharp at any printer resolution, and the file is smaller. The places come
from the same numbers the sheet's CSS uses (``Placement``); the tests decode every code from the
rasterised PDF, so a misplaced code fails them.

The labels' text is the same on every label of a sheet, so WeasyPrint lays out one page of it and
every page of the sheet reuses that page's content (``add_page``); what differs per label, the QR
symbol and the serial, is drawn in here. The symbols (``qr_ops``, the real cost: the encoder
scores eight masks per code) are computed in worker processes on long runs.
"""

from __future__ import annotations

import multiprocessing
import re
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, StreamObject

from traceability.labels.qr import QUIET_ZONE, qr_code

MM = 72 / 25.4  # PDF points per millimetre
PADDING_MM = 1.5  # the label's padding in labels/sheet.html
PARALLEL_FROM = 200  # labels: fewer than this are not worth starting a second process for


def qr_matrix(data: str) -> list[str]:
    """The symbol's modules, row by row, as strings of "1" (dark) and "0", without the quiet zone.
    The same encoder settings as every other QR of the app (``labels.qr``)."""
    rows = qr_code(data).get_matrix()[QUIET_ZONE:-QUIET_ZONE]
    return ["".join("1" if dark else "0" for dark in row[QUIET_ZONE:-QUIET_ZONE]) for row in rows]


def qr_ops(data: str) -> tuple[int, bytes]:
    """(modules across, PDF path operators) of the symbol, one rectangle per run of dark modules, in
    module units with the origin at the symbol's bottom-left. Independent of where it is printed,
    so a second process can compute it while the first lays out text."""
    matrix = qr_matrix(data)
    count = len(matrix)
    ops = []
    for r, row in enumerate(matrix):
        y = count - 1 - r
        for run in re.finditer("1+", row):
            ops.append(b"%d %d %d 1 re\n" % (run.start(), y, run.end() - run.start()))
    return count, b"".join(ops)


@dataclass(frozen=True)
class Placement:
    """Where the QR box of each label sits, in the numbers labels/sheet.html lays them out with."""

    width_mm: float
    height_mm: float
    qr_mm: float
    margin_mm: float
    columns: int
    per_page: int
    page_height_mm: float

    def box(self, index_on_page: int) -> tuple[float, float, float]:
        """(left, bottom, side) in PDF points of the QR box of the label at this place on its page."""
        row, column = divmod(index_on_page, self.columns)
        left_mm = self.margin_mm + column * self.width_mm + self.width_mm - PADDING_MM - self.qr_mm
        top_mm = self.margin_mm + row * self.height_mm + PADDING_MM
        return left_mm * MM, (self.page_height_mm - top_mm - self.qr_mm) * MM, self.qr_mm * MM


def _draw(code: tuple[int, bytes], left: float, bottom: float, side: float) -> bytes:
    """The symbol scaled into its box, inside the 4-module quiet zone the label's white provides."""
    count, ops = code
    module = side / (count + 2 * QUIET_ZONE)
    return (
        (b"q %.4f 0 0 %.4f %.3f %.3f cm\n" % (module, module, left + QUIET_ZONE * module, bottom + QUIET_ZONE * module))
        + ops
        + b"f Q\n"
    )


def _stream(writer: PdfWriter, data: bytes):
    stream = StreamObject()
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    stream._data = zlib.compress(data)
    return writer._add_object(stream)


SERIAL_FONT = NameObject("/TraceSerial")
# Courier is one of the PDF standard fonts: every reader has it, nothing to embed; serials are ASCII.
COURIER = DictionaryObject(
    {
        NameObject("/Type"): NameObject("/Font"),
        NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Courier"),
        NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
    }
)


def _cut_lines(placement: Placement, count: int) -> bytes:
    """Dashed guides along the labels' edges, for the guillotine (none on a roll)."""
    if placement.per_page == 1:
        return b""
    columns = min(placement.columns, count)
    rows = -(-count // placement.columns)
    left = placement.margin_mm * MM
    top = (placement.page_height_mm - placement.margin_mm) * MM
    right, bottom = left + columns * placement.width_mm * MM, top - rows * placement.height_mm * MM
    ops = [b"q 0.6 G 0.28 w [1.5 1.5] 0 d\n"]
    for c in range(columns + 1):
        x = left + c * placement.width_mm * MM
        ops.append(b"%.3f %.3f m %.3f %.3f l\n" % (x, top, x, bottom))
    for r in range(rows + 1):
        y = top - r * placement.height_mm * MM
        ops.append(b"%.3f %.3f m %.3f %.3f l\n" % (left, y, right, y))
    ops.append(b"S Q\n")
    return b"".join(ops)


def add_page(
    writer: PdfWriter,
    template,
    placement: Placement,
    font_pt: float,
    items: Sequence[tuple[tuple[int, bytes] | None, str | None]],
) -> None:
    """A sheet page: the template page's labels (shared, not copied), with each label's QR code
    (``qr_ops``) and serial drawn in, and the cut lines."""
    page = writer.add_page(template)
    fonts = page["/Resources"].get_object()["/Font"].get_object()
    if SERIAL_FONT not in fonts:
        fonts[SERIAL_FONT] = COURIER
    ops = [_cut_lines(placement, len(items)), b"0 g\n"]
    for index, (code, serial) in enumerate(items):
        left, bottom, side = placement.box(index)
        if code is not None:
            ops.append(_draw(code, left, bottom, side))
        if serial:  # centred under the code, on the line the template leaves for it
            x = left + side / 2 - len(serial) * 0.6 * font_pt / 2
            ops.append(
                b"BT /TraceSerial %.2f Tf %.3f %.3f Td (%s) Tj ET\n"
                % (font_pt, x, bottom - 0.95 * font_pt, serial.encode("ascii"))
            )
    if not hasattr(writer, "_label_state"):
        writer._label_state = (_stream(writer, b"q\n"), _stream(writer, b"Q\n"))
    save, restore = writer._label_state
    contents = page.get(NameObject("/Contents"))
    existing = list(contents.get_object()) if isinstance(contents.get_object(), ArrayObject) else [contents]
    page[NameObject("/Contents")] = ArrayObject([save, *existing, restore, _stream(writer, b"".join(ops))])


@contextmanager
def matrix_source(count: int) -> Iterator:
    """A pool for ``map(qr_ops, urls)`` in other processes when the run is long enough to repay
    starting them, else None (compute in this process)."""
    cores = multiprocessing.cpu_count() or 1
    if count < PARALLEL_FROM or cores < 2:
        yield None
        return
    # spawn: clean children, safe from a job worker's threads. Drawing is cheap, so the symbols are
    # the work: one process a core (at most 4), while this one assembles the pages.
    with multiprocessing.get_context("spawn").Pool(min(cores, 4)) as pool:
        yield pool
