"""OCOP ("one commune, one product"): criteria sets as data, scoring, self-assessments and dossiers."""
