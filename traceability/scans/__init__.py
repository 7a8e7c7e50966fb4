"""Scans of unit serials: how often and where a printed code is read, to warn of copied labels."""
