"""The package version, read by the build backend and the User-Agent."""

__all__ = ["__version__"]

__version__ = "0.1.0"
"""completionkit's version, which its ``User-Agent`` header carries too."""
