"""The critic: teacher judgments and deterministic checks, each a Verdict, combined into one score."""
