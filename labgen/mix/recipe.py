"""Mix recipes: the phases of a training mixture, loaded from YAML and validated before any data is read.

A recipe is checked in three steps: YAML (no aliases), the JSON Schema `recipe.schema.json`, then the
rules a schema cannot say (unique names, replay only from earlier phases, count or ratio but not both,
floors under caps, external files that exist). Every error points at the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from labgen.errors import ConfigError
from labgen.mix.recipe_checks import RecipeDocument, parse_recipe_text, schema_errors

RECIPES_DIR = Path(__file__).resolve().parent / "recipes"
DEFAULT_SEED = 42
ON_EMPTY_ERROR, ON_EMPTY_WARN = "error", "warn"  # what mix does when a phase would have no rows


@dataclass(frozen=True)
class LeafLimits:
    """Per-leaf bounds inside one source: no leaf above `cap` (or `cap_fraction` of the source's
    target), none below `floor` (as far as its rows, or replacement, allow)."""

    cap: int | None = None
    floor: int = 0
    cap_fraction: float | None = None


@dataclass(frozen=True)
class Source:
    """Where a phase takes rows from: taxonomy leaves picked by filters, or an external JSONL file."""

    name: str
    kinds: tuple[str, ...] = ()
    branches: tuple[str, ...] = ()
    leaves: tuple[str, ...] = ()  # glob patterns over leaf paths; `**` crosses folders
    exclude: tuple[str, ...] = ()
    answer_styles: tuple[str | None, ...] = ()
    path: str | None = None  # external dataset (messages JSONL), resolved against the recipe's folder
    count: int | None = None
    ratio: float | None = None  # of the rows available; None with no count means 1.0
    replacement: bool = False
    per_leaf: LeafLimits = LeafLimits()

    @property
    def is_external(self) -> bool:
        return self.path is not None


@dataclass(frozen=True)
class Replay:
    """Rows drawn again from the rows earlier phases introduced (not from what they replayed)."""

    from_phases: tuple[str, ...]
    fraction: float | None = None  # of each earlier phase's own rows
    count: int | None = None  # in all, split across the earlier phases by their sizes
    replacement: bool = False


@dataclass(frozen=True)
class Phase:
    name: str
    sources: tuple[Source, ...]
    replay: Replay | None = None
    system_prompt: str | None = None
    description: str = ""
    on_empty: str | None = None  # None: the recipe's


@dataclass(frozen=True)
class Recipe:
    name: str
    system_prompt: str
    phases: tuple[Phase, ...]
    seed: int = DEFAULT_SEED
    description: str = ""
    on_empty: str = ON_EMPTY_WARN
    origin: str = ""  # the file it was read from, or `shipped:<name>`
    raw: dict[str, Any] | None = field(default=None, compare=False, hash=False, repr=False)  # as written

    def with_seed(self, seed: int | None) -> Recipe:
        return self if seed is None else replace(self, seed=seed)

    def system_prompt_of(self, phase: Phase) -> str:
        return phase.system_prompt or self.system_prompt

    def on_empty_of(self, phase: Phase) -> str:
        return phase.on_empty or self.on_empty

    def as_dict(self) -> dict[str, Any]:
        """The recipe as used (seed override applied), for the manifest."""
        data = dict(self.raw or {})
        data["seed"] = self.seed
        return data


def shipped_recipes() -> list[str]:
    """Names of the recipes that ship with labgen."""
    return sorted(path.stem for path in RECIPES_DIR.glob("*.yaml"))


def load_recipe(name_or_path: str | Path) -> Recipe:
    """Load a recipe from a YAML file, or a shipped recipe by name (`default`, `lab-paper`)."""
    candidate = Path(name_or_path)
    if candidate.is_file():
        return parse_recipe(_read(candidate), str(candidate), base_dir=candidate.resolve().parent)
    name = str(name_or_path)
    shipped = RECIPES_DIR / f"{name}.yaml"
    if "/" not in name and shipped.is_file():
        recipe = parse_recipe(_read(shipped), f"shipped:{name}", base_dir=Path.cwd())
        return recipe
    raise ConfigError(f"no recipe file or shipped recipe named '{name}'",
                      hint=f"pass a YAML file or one of: {', '.join(shipped_recipes())}")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError("recipe is not UTF-8 text", path=path, hint="save the recipe as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"cannot read recipe: {exc.strerror}", path=path) from None


def parse_recipe(text: str, source: str = "recipe.yaml", *, base_dir: Path | None = None) -> Recipe:
    """Validate recipe YAML text and build the Recipe. External paths resolve against `base_dir`."""
    doc = parse_recipe_text(text, source)
    if not isinstance(doc.data, dict):
        raise doc.error([], "a recipe must be a YAML mapping with version, name, system_prompt and phases")
    problems = schema_errors(doc)
    if not problems:
        problems = _semantic_errors(doc, base_dir or Path.cwd())
    if problems:
        if len(problems) == 1:
            raise problems[0]
        raise ConfigError(f"{len(problems)} problems in the recipe:\n  " +
                          "\n  ".join(p.render() for p in problems), path=source)
    return _build(doc.data, source, base_dir or Path.cwd())


def _semantic_errors(doc: RecipeDocument, base_dir: Path) -> list[ConfigError]:
    errors: list[ConfigError] = []
    phase_names: list[str] = []
    for p_index, phase in enumerate(doc.data["phases"]):
        where: list[str | int] = ["phases", p_index]
        if phase["name"] in phase_names:
            errors.append(doc.error([*where, "name"], f"phase name '{phase['name']}' is used twice",
                                    hint="each phase needs its own name: it names the output file"))
        source_names: list[str] = []
        for s_index, source in enumerate(phase.get("sources", [])):
            errors.extend(_source_errors(doc, [*where, "sources", s_index], source, source_names, base_dir))
            source_names.append(source["name"])
        replay = phase.get("replay")
        if replay is not None:
            errors.extend(_replay_errors(doc, [*where, "replay"], replay, phase_names))
        if not phase.get("sources") and replay is None:
            errors.append(doc.error([*where, "sources"], "a phase needs at least one source or a replay"))
        phase_names.append(phase["name"])
    return errors


def _source_errors(doc: RecipeDocument, where: list[str | int], source: dict[str, Any],
                   earlier_names: list[str], base_dir: Path) -> list[ConfigError]:
    errors: list[ConfigError] = []
    if source["name"] in earlier_names:
        errors.append(doc.error([*where, "name"], f"source name '{source['name']}' is used twice in this phase"))
    if "count" in source and "ratio" in source:
        errors.append(doc.error([*where, "ratio"], "give either count or ratio, not both"))
    if source.get("ratio", 1) > 1 and not source.get("replacement", False):
        errors.append(doc.error([*where, "ratio"], "a ratio above 1 needs replacement: true",
                                hint="without replacement a source cannot give more rows than it has"))
    filters = [key for key in ("kinds", "branches", "leaves", "exclude", "answer_styles") if key in source]
    if "path" in source:
        if filters:
            errors.append(doc.error([*where, filters[0]],
                                    "an external source (path) takes no taxonomy filters",
                                    hint="split it into two sources"))
        if not (base_dir / source["path"]).is_file():
            errors.append(doc.error([*where, "path"], f"file not found: {base_dir / source['path']}",
                                    hint="paths are relative to the recipe's folder"))
    limits = source.get("per_leaf", {})
    if "cap" in limits and limits.get("floor", 0) > limits["cap"]:
        errors.append(doc.error([*where, "per_leaf", "floor"],
                                f"floor {limits['floor']} is above cap {limits['cap']}"))
    return errors


def _replay_errors(doc: RecipeDocument, where: list[str | int], replay: dict[str, Any],
                   earlier: list[str]) -> list[ConfigError]:
    errors: list[ConfigError] = []
    if not earlier:
        errors.append(doc.error(where, "the first phase has nothing to replay", hint="remove replay here"))
    if ("fraction" in replay) == ("count" in replay):
        errors.append(doc.error(where, "give exactly one of fraction or count"))
    for index, name in enumerate(replay.get("from", [])):
        if name not in earlier:
            errors.append(doc.error([*where, "from", index], f"'{name}' is not an earlier phase",
                                    hint=f"earlier phases: {', '.join(earlier) or 'none'}"))
    return errors


def _build(data: dict[str, Any], source: str, base_dir: Path) -> Recipe:
    phases: list[Phase] = []
    for phase in data["phases"]:
        replay = None
        if "replay" in phase:
            spec = phase["replay"]
            replay = Replay(from_phases=tuple(spec.get("from") or [p.name for p in phases]),
                            fraction=spec.get("fraction"), count=spec.get("count"),
                            replacement=bool(spec.get("replacement", False)))
        sources = tuple(_build_source(spec, base_dir) for spec in phase.get("sources", []))
        phases.append(Phase(name=phase["name"], sources=sources, replay=replay,
                            system_prompt=phase.get("system_prompt"),
                            description=phase.get("description", ""), on_empty=phase.get("on_empty")))
    return Recipe(name=data["name"], system_prompt=data["system_prompt"], phases=tuple(phases),
                  seed=int(data.get("seed", DEFAULT_SEED)), description=data.get("description", ""),
                  on_empty=data.get("on_empty", ON_EMPTY_WARN), origin=source, raw=data)


def _build_source(spec: dict[str, Any], base_dir: Path) -> Source:
    limits = spec.get("per_leaf", {})
    path = str((base_dir / spec["path"]).resolve()) if "path" in spec else None
    return Source(name=spec["name"], kinds=tuple(spec.get("kinds", ())),
                  branches=tuple(spec.get("branches", ())), leaves=tuple(spec.get("leaves", ())),
                  exclude=tuple(spec.get("exclude", ())), answer_styles=tuple(spec.get("answer_styles", ())),
                  path=path, count=spec.get("count"), ratio=spec.get("ratio"),
                  replacement=bool(spec.get("replacement", False)),
                  per_leaf=LeafLimits(cap=limits.get("cap"), floor=int(limits.get("floor", 0)),
                                      cap_fraction=limits.get("cap_fraction")))
