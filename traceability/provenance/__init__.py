"""Public pages a label's QR code opens: the real history of a lot, no login, no personal data."""
