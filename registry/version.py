"""The registry's version (its own module, so that no module imports the package's root)."""

__version__ = "0.1.0"
