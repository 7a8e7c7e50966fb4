"""GS1 identifiers, QR images, label layouts and print sheets."""
