"""sortext: a plain-text system of record for solo service businesses."""

__version__ = "0.1.0"
