"""Exports of the traceability record for others to read.

EPCIS 2.0 JSON-LD for trading partners and GS1 tools (``epcis``), the FDA FSMA 204 sortable
spreadsheet of critical tracking events (``fsma``), and the ten minimum fields of Circular
TT 02/2024/TT-BKHCN for the national traceability portal (``portal``). All of them name our
objects with the URIs of ``identifiers`` and never carry a person's name or phone number.
Run them with ``flask --app traceability export epcis|fsma|portal`` (``cli``).
"""
