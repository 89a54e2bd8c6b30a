"""The taxonomy: leaves, their kinds, loading, validation, git diffs and knowledge documents."""
