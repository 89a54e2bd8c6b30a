"""Curation: re-deciding a finished run's samples from their stored records (see docs/generate.md)."""
