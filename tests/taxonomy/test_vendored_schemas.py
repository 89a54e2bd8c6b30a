"""labgen's copy of InstructLab's schemas is the installed `instructlab-schema`'s, byte for byte."""

from __future__ import annotations

import json

import pytest

from labgen.taxonomy.schema import SCHEMAS_DIR


def test_vendored_schemas_match_the_installed_instructlab_schema() -> None:
    schema = pytest.importorskip("instructlab.schema", reason="instructlab-schema is not installed")
    theirs = {f"{version.name}/{file.name}": json.loads(file.read_text(encoding="utf-8"))
              for version in schema.schema_versions() for file in version.iterdir() if file.name.endswith(".json")}
    ours = {p.relative_to(SCHEMAS_DIR).as_posix(): json.loads(p.read_text(encoding="utf-8"))
            for p in SCHEMAS_DIR.glob("v*/*.json")}
    assert sorted(ours) == sorted(theirs), "copy the new schema versions (see labgen/taxonomy/schemas/README.md)"
    for name in theirs:
        assert ours[name] == theirs[name], f"{name} differs from instructlab-schema's; re-copy it"
