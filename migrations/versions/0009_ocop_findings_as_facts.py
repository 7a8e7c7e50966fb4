"""OCOP findings as facts: what the records show for a criterion, worded when read

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 09:00:00.000000

``ocop_answers.evidence`` held, for a criterion the records answer, a sentence in the language of
whoever refreshed the dossier, printed as it was in the Vietnamese PDF for the commune. It becomes
``ocop_answers.finding``: the facts (``traceability.ocop.findings``), worded when read.
``evidence`` stays, for the producer's own note on a criterion the records cannot answer.

The findings depend on the day they were made (the last 12 months, certificates valid that day), so
they cannot be recomputed: each stored sentence of a pre-filled criterion is read back, in either
language, against the sentences the two catalogues had. One that cannot be read stays as it is and
is shown as before until the next refresh. A share read back has the one decimal it was shown with.

The downgrade writes the sentences back, in Vietnamese.
"""

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from babel.numbers import format_decimal

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

CRITERIA_SETS = Path(__file__).resolve().parents[2] / "traceability" / "rules" / "ocop"

# The sentences as the catalogues had them (English msgid, Vietnamese msgstr) and what each
# placeholder holds: num (a formatted number), qty (a number and a unit), int, text, date
# (dd/mm/yyyy), kind (an organisation kind's label), certs (the certificates list).
SENTENCES = {
    "nothing": (
        "The records hold nothing to answer this yet.",
        "Dữ liệu ghi chép chưa có gì để trả lời tiêu chí này.",
        {},
    ),
    "local_raw_material_share": (
        "%(share)s %% of the raw material of the last 12 months is local: %(own)s from the organisation's own "
        "plots and %(bought)s bought from suppliers in %(commune)s, of %(total)s in all (%(n)s lots).",
        "%(share)s %% nguyên liệu của 12 tháng qua là của địa phương: %(own)s từ ruộng của đơn vị và "
        "%(bought)s mua của nhà cung cấp ở %(commune)s, trên tổng số %(total)s (%(n)s lô).",
        {"share": "num", "own": "qty", "bought": "qty", "commune": "text", "total": "qty", "n": "int"},
    ),
    "no_certificate": (
        "No valid VietGAP or organic certificate is recorded.",
        "Chưa có chứng nhận VietGAP hoặc hữu cơ còn hiệu lực.",
        {},
    ),
    "certified_area": (
        "%(certificates)s: %(n)s of %(total)s plots, %(area)s m² certified.",
        "%(certificates)s: %(n)s trên %(total)s thửa, %(area)s m² được chứng nhận.",
        {"certificates": "certs", "n": "int", "total": "int", "area": "num"},
    ),
    "linkage_contracts": (
        "%(share)s %% of %(n)s sales of the last 12 months carry an invoice or contract reference.",
        "%(share)s %% trong %(n)s lần bán của 12 tháng qua có số hóa đơn hoặc hợp đồng.",
        {"share": "num", "n": "int"},
    ),
    "legal_form": ("Registered as: %(kind)s %(number)s.", "Đăng ký là: %(kind)s %(number)s.", {"kind": "kind"}),
    "no_sale_lot": (
        "No lot of this product is recorded yet: no label carries a traceability code.",
        "Chưa có lô nào của sản phẩm: chưa nhãn nào mang mã truy xuất.",
        {},
    ),
    "traceable_label": (
        "Every lot of this product has a QR code opening its public history "
        "(%(lots)s lots, %(serials)s units with their own code).",
        "Mỗi lô của sản phẩm có mã QR mở trang truy xuất công khai (%(lots)s lô, %(serials)s đơn vị có mã riêng).",
        {"lots": "int", "serials": "int"},
    ),
    "story_shown": (
        "The product's story is shown on the public page of every lot.",
        "Câu chuyện sản phẩm hiện trên trang truy xuất công khai của mọi lô.",
        {},
    ),
    "no_story": (
        "The product has no story yet: write it in the dossier and it appears on the public pages.",
        "Sản phẩm chưa có câu chuyện: viết trong hồ sơ, câu chuyện sẽ hiện trên trang truy xuất công khai.",
        {},
    ),
    "no_declaration": (
        "No product declaration is recorded among the certificates.",
        "Chưa có bản tự công bố sản phẩm trong danh sách chứng nhận.",
        {},
    ),
    "declaration": (
        "Product declaration %(number)s (%(issuer)s).",
        "Bản tự công bố sản phẩm %(number)s (%(issuer)s).",
        {},
    ),
    "no_food_safety": (
        "No valid food-safety certificate is recorded.",
        "Chưa có giấy chứng nhận ATTP còn hiệu lực.",
        {},
    ),
    "food_safety": (
        "Food-safety certificate %(number)s, valid until %(date)s.",
        "Giấy chứng nhận cơ sở đủ điều kiện ATTP %(number)s, hiệu lực đến %(date)s.",
        {"date": "date"},
    ),
}
# Which sentences each finder wrote (besides "nothing").
FINDER_SENTENCES = {
    "local_raw_material_share": ("local_raw_material_share",),
    "certified_area": ("no_certificate", "certified_area"),
    "linkage_contracts": ("linkage_contracts",),
    "legal_form": ("legal_form",),
    "traceable_label": ("no_sale_lot", "traceable_label"),
    "story_in_traceability": ("story_shown", "no_story"),
    "quality_declaration": ("no_declaration", "declaration"),
    "quality_assurance": ("no_food_safety", "food_safety"),
}
UNTIL = {"en": "until", "vi": "hiệu lực đến"}
KIND_LABELS = {
    "cooperative": ("Cooperative (HTX)", "Hợp tác xã (HTX)"),
    "cooperative_group": ("Cooperative group (THT)", "Tổ hợp tác (THT)"),
    "household_business": ("Household business", "Hộ kinh doanh"),
    "company": ("Company", "Doanh nghiệp"),
    "commune_authority": ("Commune authority", "UBND xã"),
    "province_authority": ("Province authority", "UBND tỉnh"),
}
# Before the unit labels, sentences carried the stored unit value; since, the label ("cái").
UNITS = {"kg": "kg", "g": "g", "l": "l", "ml": "ml", "piece": "piece", "cái": "piece"}
UNIT_VI = {"piece": "cái"}
GROUPS = {
    "num": r"[\d.,]+",
    "int": r"\d+",
    "qty": r"[\d.,]+(?: \S+)?",
    "date": r"\d\d/\d\d/\d{4}",
    "kind": "|".join(re.escape(label) for labels in KIND_LABELS.values() for label in labels),
}


def _pattern(template: str, kinds: dict) -> re.Pattern:
    regex, position = "", 0
    for placeholder in re.finditer(r"%\((\w+)\)s|%%", template):
        regex += re.escape(template[position : placeholder.start()])
        name = placeholder.group(1)
        regex += "%" if name is None else f"(?P<{name}>{GROUPS.get(kinds.get(name), '.*?')})"
        position = placeholder.end()
    return re.compile(regex + re.escape(template[position:]) + r"\Z", re.S)


def _decimal(text: str, language: str) -> str:
    thousands, point = (",", ".") if language == "en" else (".", ",")
    return f"{Decimal(text.replace(thousands, '').replace(point, '.')).normalize():f}"


def _iso(text: str) -> str:
    return dt.datetime.strptime(text, "%d/%m/%Y").date().isoformat()


def _certificates(text: str, language: str) -> list[dict] | None:
    one = re.compile(rf"(.+?) \((.+?), {re.escape(UNTIL[language])} (\d\d/\d\d/\d{{4}})\)(?:, |\Z)", re.S)
    found, position = [], 0
    while position < len(text):
        match = one.match(text, position)
        if match is None:
            return None
        found.append({"number": match.group(1), "issuer": match.group(2), "valid_to": _iso(match.group(3))})
        position = match.end()
    return found


def _facts(code: str, raw: dict, language: str) -> dict | None:
    """The facts a sentence's placeholders held, in the shape ``findings`` words (None: unreadable)."""
    if code == "local_raw_material_share":
        quantities = [raw[k].partition(" ") for k in ("own", "bought", "total")]
        units = {unit for _number, _space, unit in quantities}  # one unit for all three, or none
        if len(units) != 1 or not units <= {"", *UNITS}:
            return None
        unit = UNITS.get(units.pop())
        own, bought, total = (_decimal(number, language) for number, _space, _unit in quantities)
        return {
            "code": code,
            "share": _decimal(raw["share"], language),
            "own": own,
            "bought": bought,
            "total": total,
            "unit": unit,
            "place": raw["commune"],
            "lots": int(raw["n"]),
        }
    if code == "certified_area":
        certificates = _certificates(raw["certificates"], language)
        if not certificates:
            return None
        return {
            "code": code,
            "certificates": certificates,
            "plots": int(raw["n"]),
            "of_plots": int(raw["total"]),
            "area_m2": _decimal(raw["area"], language),
        }
    if code == "linkage_contracts":
        return {"code": code, "share": _decimal(raw["share"], language), "sales": int(raw["n"])}
    if code == "legal_form":
        index = 0 if language == "en" else 1
        kind = next((k for k, labels in KIND_LABELS.items() if labels[index] == raw["kind"]), None)
        return None if kind is None else {"code": code, "kind": kind, "number": raw["number"] or None}
    if code == "traceable_label":
        return {"code": code, "lots": int(raw["lots"]), "serials": int(raw["serials"])}
    if code == "declaration":
        return {"code": code, "number": raw["number"], "issuer": raw["issuer"]}
    if code == "food_safety":
        return {"code": code, "number": raw["number"], "valid_to": _iso(raw["date"])}
    return {"code": code}


def read_sentence(finder: str, text: str) -> dict | None:
    for code in ("nothing", *FINDER_SENTENCES[finder]):
        en, vi, kinds = SENTENCES[code]
        for language, template in (("en", en), ("vi", vi)):
            match = _pattern(template, kinds).match(text.strip())
            if match:
                return _facts(code, match.groupdict(), language)
    return None


def _prefilled() -> dict[tuple[str, str], str]:
    """(criteria set, criterion) → the finder that pre-fills it, from the sets' files."""
    found = {}
    for path in CRITERIA_SETS.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        for part in data.get("parts", []):
            for section in part.get("sections", []):
                for criterion in section.get("criteria", []):
                    if criterion.get("prefill") in FINDER_SENTENCES:
                        found[(data["id"], criterion["id"])] = criterion["prefill"]
    return found


def upgrade():
    bind = op.get_bind()
    op.add_column("ocop_answers", sa.Column("finding", sa.JSON(), nullable=True))  # ALTER TABLE, no rebuild
    prefilled = _prefilled()
    rows = bind.execute(
        sa.text(
            "SELECT a.id, d.criteria_set, a.criterion_id, a.evidence FROM ocop_answers a "
            "JOIN ocop_dossiers d ON d.id = a.dossier_id WHERE a.evidence IS NOT NULL"
        )
    ).all()
    update = sa.text("UPDATE ocop_answers SET finding = :finding, evidence = NULL WHERE id = :id").bindparams(
        sa.bindparam("finding", type_=sa.JSON())
    )
    for answer_id, criteria_set, criterion_id, evidence in rows:
        finder = prefilled.get((criteria_set, criterion_id))
        facts = read_sentence(finder, evidence) if finder else None  # a producer's own note stays
        if facts is not None:
            bind.execute(update, {"finding": facts, "id": answer_id})


def _vi_number(value: str, digits: int = 2) -> str:
    return format_decimal(Decimal(value), format=f"#,##0.{'#' * digits}" if digits else "#,##0", locale="vi")


def _vi_date(value: str) -> str:
    return dt.date.fromisoformat(value).strftime("%d/%m/%Y")


def write_sentence(facts: dict) -> str:
    """The finding as the Vietnamese catalogue worded it."""
    code = facts["code"]
    template = SENTENCES[code][1]
    if code == "local_raw_material_share":
        unit = f" {UNIT_VI.get(facts['unit'], facts['unit'])}" if facts.get("unit") else ""
        values = {
            "share": _vi_number(facts["share"], 1),
            "own": _vi_number(facts["own"]) + unit,
            "bought": _vi_number(facts["bought"]) + unit,
            "commune": facts["place"],
            "total": _vi_number(facts["total"]) + unit,
            "n": facts["lots"],
        }
    elif code == "certified_area":
        certificates = ", ".join(
            f"{c['number']} ({c['issuer']}, {UNTIL['vi']} {_vi_date(c['valid_to'])})" for c in facts["certificates"]
        )
        values = {
            "certificates": certificates,
            "n": facts["plots"],
            "total": facts["of_plots"],
            "area": _vi_number(facts["area_m2"], 0),
        }
    elif code == "linkage_contracts":
        values = {"share": _vi_number(facts["share"], 1), "n": facts["sales"]}
    elif code == "legal_form":
        values = {"kind": KIND_LABELS[facts["kind"]][1], "number": facts.get("number") or ""}
    elif code == "traceable_label":
        values = {"lots": facts["lots"], "serials": facts["serials"]}
    elif code == "declaration":
        values = {"number": facts["number"], "issuer": facts["issuer"]}
    elif code == "food_safety":
        values = {"number": facts["number"], "date": _vi_date(facts["valid_to"])}
    else:
        return template
    return template % values


def downgrade():
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, finding FROM ocop_answers WHERE finding IS NOT NULL").columns(
            id=sa.Integer(), finding=sa.JSON()
        )
    ).all()
    for answer_id, facts in rows:
        bind.execute(
            sa.text("UPDATE ocop_answers SET evidence = :evidence WHERE id = :id"),
            {"evidence": write_sentence(facts), "id": answer_id},
        )
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE ocop_answers DROP COLUMN finding")  # SQLite ≥ 3.35, no table rebuild
    else:
        op.drop_column("ocop_answers", "finding")
