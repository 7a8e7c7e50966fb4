"""Products an organisation sells: names in two languages, GTIN, shelf life and label texts."""
