"""The bodies of API v1, declared once: requests are validated against these models and the OpenAPI
document at /api/v1/openapi.json is generated from them, so what is published is what is enforced.

Why pydantic v2 with a thin decorator of our own (``api.endpoint``) rather than spectree or
flask-openapi3: both parse the body themselves with ``request.get_json(silent=True)``, where a deeply
nested document raises RecursionError (a 500) and a body that is not JSON silently becomes ``{}``;
spectree answers a failed validation in its own shape through ``abort()``, wraps every response, and
collects its document from every route of the app; flask-openapi3 needs its own ``OpenAPI`` app
class and ``APIBlueprint``. Pydantic alone parses the raw bytes (``model_validate_json``: depth
limited, no lone surrogates, no NaN), states every limit, and writes the JSON Schema (2020-12, as
OpenAPI 3.1 uses) from which ``api.openapi`` builds the document.

The models declare what a record can hold (column lengths, numeric precision and range, formats, the
model's enums): breaking one is a 400 naming the field. Whether a value makes sense (a date not in the
future, a lot that holds enough) is the services' to decide, the same for the web forms: a 422.
"""
