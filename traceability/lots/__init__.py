"""Lots, the unit of traceability: harvest lots now; processing, packing, sales and recalls later."""
