"""The production diary of a season: a read-out of the farm, quality and lots records, as a PDF."""
