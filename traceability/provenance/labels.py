from flask_babel import lazy_gettext as _l

# The steps of a lot's journey on the public page.
JOURNEY_LABELS = {
    "planting": _l("Sowing"),
    "fertiliser": _l("Fertilising"),
    "plant_protection": _l("Plant protection spraying"),
    "input": _l("Other input"),
    "inspection": _l("Internal inspection"),
    "harvest": _l("Harvest"),
    "receiving": _l("Bought in"),
    "supplier": _l("From the supplier"),
    "processing": _l("Processing"),
    "packing": _l("Packing"),
}
