"""labgen: LAB-style synthetic training data from a taxonomy of skills and knowledge."""

from __future__ import annotations

__version__ = "0.1.0"
