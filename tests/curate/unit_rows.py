"""A unit result's samples and rejects as the curation pass writes them, for tests of one unit."""

from __future__ import annotations

from typing import Any

from labgen.curate.inputs import LeafInfo, UnitInfo
from labgen.curate.judgments import Judges, JudgmentSource
from labgen.curate.replay import replay_unit
from labgen.curate.run import leaf_rows
from labgen.curate.steps import curation_steps


def with_rows(result: dict[str, Any], leaf: Any, system_prompt: str) -> dict[str, Any]:
    """The unit result plus "samples" and "rejects": its records decided as the unit decided them."""
    unit = UnitInfo.from_result(result)
    steps = curation_steps(unit.kind, unit.critic, Judges(), JudgmentSource(None))
    samples, rejects = leaf_rows([replay_unit(unit, LeafInfo.from_leaf(leaf, (unit.id,)), steps)], system_prompt)
    return {**result, "samples": samples, "rejects": rejects}
