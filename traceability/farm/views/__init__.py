"""Web pages of the farm feature."""
