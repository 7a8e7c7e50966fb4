"""Web pages of the lots feature."""
