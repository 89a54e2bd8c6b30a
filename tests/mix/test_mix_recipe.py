"""Recipes: the shipped ones load, and every mistake gets a message pointing at the field and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from labgen.errors import ConfigError
from labgen.mix import load_recipe, parse_recipe, shipped_recipes

GOOD = """\
version: 1
name: mine
system_prompt: Be helpful.
phases:
  - name: first
    sources:
      - name: know
        kinds: [knowledge]
  - name: second
    sources:
      - name: skills
        branches: [compositional_skills]
        count: 10
    replay:
      fraction: 0.5
"""


def _error(text: str, tmp_path: Path) -> ConfigError:
    recipe_file = tmp_path / "recipe.yaml"
    recipe_file.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_recipe(recipe_file)
    return info.value


def test_shipped_recipes_load_with_the_documented_phases() -> None:
    assert {"default", "lab-paper"} <= set(shipped_recipes())
    default = load_recipe("default")
    assert [p.name for p in default.phases] == ["knowledge", "skills"]
    assert default.phases[1].replay is not None and default.phases[1].replay.from_phases == ("knowledge",)
    paper = load_recipe("lab-paper")
    assert [p.name for p in paper.phases] == ["knowledge_short", "knowledge_long", "skills"]
    assert paper.phases[0].sources[0].answer_styles == ("short",)
    assert paper.phases[1].sources[0].answer_styles == ("long",)
    assert paper.phases[2].replay is not None
    assert paper.phases[2].replay.from_phases == ("knowledge_short", "knowledge_long")


def test_a_good_recipe_builds_defaults(tmp_path: Path) -> None:
    recipe = parse_recipe(GOOD, "recipe.yaml", base_dir=tmp_path)
    assert recipe.seed == 42
    second = recipe.phases[1]
    assert second.replay is not None and second.replay.from_phases == ("first",)
    assert second.sources[0].count == 10 and second.sources[0].ratio is None
    assert recipe.with_seed(7).seed == 7 and recipe.with_seed(7).as_dict()["seed"] == 7
    assert recipe.on_empty == "warn" and recipe.on_empty_of(second) == "warn"
    strict = parse_recipe(GOOD.replace("phases:", "on_empty: error\nphases:").replace(
        "name: second", "name: second\n    on_empty: warn"), "recipe.yaml", base_dir=tmp_path)
    assert strict.on_empty_of(strict.phases[0]) == "error" and strict.on_empty_of(strict.phases[1]) == "warn"


def test_replay_fraction_out_of_range_points_at_the_field_and_line(tmp_path: Path) -> None:
    error = _error(GOOD.replace("fraction: 0.5", "fraction: 1.5"), tmp_path)
    assert "phases[1].replay.fraction: must be between 0 and 1" in str(error)
    assert error.line == 15 and error.path is not None and error.path.endswith("recipe.yaml")
    assert error.exit_code == 2


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("kinds: [knowledge]", "kinds: [knowledge]\n        colour: red",
     "phases[0].sources[0]: unknown field 'colour'"),
    ("kinds: [knowledge]", "kinds: [knowlege]", "phases[0].sources[0].kinds[0]: must be one of"),
    ("count: 10", "count: -3", "phases[1].sources[0].count: must be at least 0"),
    ("count: 10", "count: ten", "phases[1].sources[0].count: must be an integer"),
    ("count: 10", "count: 10\n        ratio: 0.5", "phases[1].sources[0].ratio: give either count or ratio"),
    ("count: 10", "ratio: 2.0", "phases[1].sources[0].ratio: a ratio above 1 needs replacement: true"),
    ("count: 10", "per_leaf: {cap: 3, floor: 5}", "phases[1].sources[0].per_leaf.floor: floor 5 is above cap 3"),
    ("fraction: 0.5", "fraction: 0.5\n      from: [second]", "phases[1].replay.from[0]: 'second' is not an earlier phase"),
    ("fraction: 0.5", "fraction: 0.5\n      count: 3", "phases[1].replay: give exactly one of fraction or count"),
    ("name: second", "name: first", "phases[1].name: phase name 'first' is used twice"),
    ("name: second", "name: Second Phase", "phases[1].name: \"Second Phase\" is not a valid name"),
    ("system_prompt: Be helpful.\n", "", "missing required field 'system_prompt'"),
    ("branches: [compositional_skills]\n        count: 10", "path: nowhere.jsonl",
     "phases[1].sources[0].path: file not found"),
    ("count: 10", "path: nowhere.jsonl", "phases[1].sources[0].branches: an external source (path) takes no"),
    ("name: second", "name: second\n    on_empty: ignore", "phases[1].on_empty: must be one of"),
])
def test_recipe_mistakes_name_the_field(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in GOOD
    error = _error(GOOD.replace(old, new, 1), tmp_path)
    assert expected in str(error)
    assert error.path is not None and error.path.endswith("recipe.yaml")


def test_replay_in_the_first_phase_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace("        kinds: [knowledge]\n", "        kinds: [knowledge]\n    replay: {fraction: 0.1}\n", 1)
    assert "phases[0].replay: the first phase has nothing to replay" in str(_error(text, tmp_path))


def test_several_problems_are_reported_together(tmp_path: Path) -> None:
    text = GOOD.replace("fraction: 0.5", "fraction: 3").replace("count: 10", "count: -1")
    message = str(_error(text, tmp_path))
    assert "2 problems" in message
    assert "phases[1].replay.fraction" in message and "phases[1].sources[0].count" in message


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    error = _error("version: 1\nphases: [\n  - {name: x\n", tmp_path)
    assert "not valid YAML" in str(error) and error.line is not None


def test_yaml_aliases_are_refused(tmp_path: Path) -> None:
    text = GOOD.replace("kinds: [knowledge]", "kinds: &k [knowledge]").replace(
        "branches: [compositional_skills]", "branches: *k")
    assert "aliases are not allowed" in str(_error(text, tmp_path))


def test_a_recipe_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    assert "must be a YAML mapping" in str(_error("- just\n- a list\n", tmp_path))


def test_unknown_recipe_name_lists_the_shipped_ones() -> None:
    with pytest.raises(ConfigError) as info:
        load_recipe("no-such-recipe")
    assert "default" in str(info.value) and "lab-paper" in str(info.value)


def test_external_path_resolves_against_the_recipe_folder(tmp_path: Path) -> None:
    (tmp_path / "extra.jsonl").write_text('{"messages": []}\n', encoding="utf-8")
    text = GOOD.replace("branches: [compositional_skills]\n        count: 10", "path: extra.jsonl")
    recipe_file = tmp_path / "recipe.yaml"
    recipe_file.write_text(text, encoding="utf-8")
    source = load_recipe(recipe_file).phases[1].sources[0]
    assert source.is_external and source.path == str((tmp_path / "extra.jsonl").resolve())
