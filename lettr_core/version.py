"""The version of lettr-mail (one place, read by the build and the User-Agent)."""

__version__ = "0.1.0"
