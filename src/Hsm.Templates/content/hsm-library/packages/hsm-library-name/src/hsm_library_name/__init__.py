"""The hsm-library-name library."""

__version__ = "0.1.0"
