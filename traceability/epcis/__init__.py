"""EPCIS 2.0 for trading partners: canonical event hashes, the query interface and capture."""
