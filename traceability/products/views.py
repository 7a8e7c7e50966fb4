from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from traceability.accounts.tenancy import REGISTRY_EDITORS
from traceability.products import services
from traceability.products.forms import ProductForm
from traceability.products.models import Product
from traceability.registry import add_registry_routes

bp = Blueprint("products", __name__)

add_registry_routes(
    bp,
    plural="products",
    model=Product,
    form_class=ProductForm,
    save=services.save_product,
    editors=REGISTRY_EDITORS,
    order_by=(Product.code,),
    titles={"list": _l("Products"), "new": _l("New product"), "edit": _l("Edit product")},
)
