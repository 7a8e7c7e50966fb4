"""VietGAP checklists, internal inspections, non-conformities and certificates."""
