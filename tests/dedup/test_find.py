"""find_duplicates and NearDupIndex on texts: exact, near, scopes, seeds, first kept."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from labgen.dedup import DedupConfig, DedupItem, NearDupIndex, find_duplicates, normalize_text
from labgen.dedup.shingles import ShingleBatch, jaccard, pair_jaccard

CONFIG = DedupConfig()


def removed(texts: list[str], **config: object) -> dict[int, int]:
    found = find_duplicates([DedupItem(t) for t in texts], DedupConfig(**config))  # type: ignore[arg-type]
    return {i: m.original for i, m in found.items()}


def test_normalize_folds_case_punctuation_width_and_spaces() -> None:
    assert normalize_text("  Ｗrite,  a HAIKU!\n about\train…  ") == "write a haiku about rain"


def test_exact_duplicates_after_normalization_keep_the_first() -> None:
    found = find_duplicates([DedupItem("Write a poem."), DedupItem("Other thing entirely"),
                             DedupItem("write a POEM!!")], CONFIG)
    assert list(found) == [2]
    assert found[2].original == 0 and found[2].exact and found[2].similarity == 1.0


def test_short_instructions_differing_by_one_word_are_caught() -> None:
    texts = ["Write a haiku about the autumn rain please", "Write a haiku about the winter rain please",
             "Explain how photosynthesis works in simple terms", "Explain how photosynthesis works in plain terms"]
    assert removed(texts) == {1: 0, 3: 2}


def test_unrelated_short_texts_on_one_topic_are_kept() -> None:
    texts = ["Write a haiku about autumn rain", "Write a haiku about spring flowers",
             "How do I reverse a linked list in Python", "How do I sort a dictionary by value in Python",
             "Write a limerick about a cat who loves cheese"]
    assert removed(texts) == {}


def test_long_texts_use_word_shingles_and_catch_one_changed_sentence() -> None:
    base = ("The committee met on Tuesday to review the budget for the coming year. Members agreed that the "
            "library needs new shelves and that the roof must be repaired before winter. The treasurer warned "
            "that reserves are low and proposed a small increase in membership fees to cover the repairs.")
    edited = base.replace("proposed a small increase", "suggested a modest rise")
    other = ("Volcanic soils are rich in minerals because ash weathers quickly into clay. Farmers on the slopes "
             "grow coffee and bananas, and terraces keep the soil from washing away during the rainy season.")
    assert removed([base, other, edited]) == {2: 0}
    assert removed([base, edited], shingle="word") == {1: 0}


def test_scopes_across_leaves_and_within_leaf_only() -> None:
    items = [DedupItem("Write a haiku about the autumn rain please", scope="a"),
             DedupItem("Write a haiku about the autumn rain please!", scope="b"),
             DedupItem("Write a haiku about the winter rain please", scope="b")]
    assert {i: m.original for i, m in find_duplicates(items, CONFIG).items()} == {1: 0, 2: 0}
    within = find_duplicates(items, DedupConfig(across_leaves=False))
    assert {i: m.original for i, m in within.items()} == {2: 1}


def test_seeds_match_only_samples_of_their_own_leaf_and_are_never_removed() -> None:
    items = [DedupItem("Write a haiku about the autumn rain", scope="a", reference=True),
             DedupItem("Write a haiku about the autumn rain", scope="a", reference=True),
             DedupItem("write a haiku about the autumn rain!", scope="b"),
             DedupItem("Write a haiku about the autumn rains", scope="a")]
    found = find_duplicates(items, CONFIG)
    assert set(found) == {3}
    assert found[3].original == 0 and not found[3].exact
    # Without seeds, the same sample is a near-duplicate of the leaf-b sample instead.
    assert {i: m.original for i, m in find_duplicates(items, DedupConfig(against_seeds=False)).items()} == {3: 2}


def test_namespaces_keep_the_same_question_on_different_contexts() -> None:
    items = [DedupItem("Summarize the text above", namespace="ctx:1"),
             DedupItem("Summarize the text above", namespace="ctx:2"),
             DedupItem("Summarize the text above.", namespace="ctx:1")]
    assert {i: m.original for i, m in find_duplicates(items, CONFIG).items()} == {2: 0}


def test_a_chain_keeps_items_not_similar_to_a_kept_one() -> None:
    # b is near a, c is near b but not a: b goes, c stays (only kept items remove later ones).
    a = "alpha beta gamma delta epsilon zeta eta theta"
    b = "alpha beta gamma delta epsilon zeta eta iota"
    c = "alpha beta gamma delta epsilon kappa lambda iota"
    found = removed([a, b, c], shingle="word", word_ngram=1, threshold=0.7)
    assert found == {1: 0}


def test_near_dup_index_streams_like_the_bulk_pass() -> None:
    texts = ["Write a haiku about the autumn rain please", "Write a haiku about spring flowers",
             "write a haiku about the winter rain please", "Write a haiku about spring flowers!",
             "How do I reverse a linked list in Python"]
    index = NearDupIndex(CONFIG)
    streamed = {i: index.add_or_find(i, t) for i, t in enumerate(texts)}
    assert {i: d for i, d in streamed.items() if d is not None} == removed(texts) == {2: 0, 3: 1}
    assert len(index) == 3
    assert index.find("Write a haiku about the autumn rain please") == (0, 1.0)


words = st.sampled_from(["rain", "sun", "poem", "write", "about", "the", "a", "cat", "dog", "sea", "blue"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(words, min_size=1, max_size=9).map(" ".join), min_size=1, max_size=25))
def test_every_removal_points_back_to_an_earlier_kept_similar_item(texts: list[str]) -> None:
    found = find_duplicates([DedupItem(t) for t in texts], CONFIG)
    index = NearDupIndex(CONFIG)
    for i, text in enumerate(texts):
        streamed = index.add_or_find(i, text)
        if i in found:
            match = found[i]
            assert match.original < i and match.original not in found
            assert match.similarity >= CONFIG.threshold
            assert streamed is not None
        else:
            assert streamed is None


def test_a_near_duplicate_is_found_among_a_crowd_of_similar_texts() -> None:
    common = "one two three four five six seven eight nine"
    texts = [f"{common} u{i}" for i in range(60)]  # pairwise Jaccard 0.82: every bucket is crowded
    texts.append(f"{common} u0 extra")  # Jaccard 0.91 with the first text, 0.75 with the others
    found = removed(texts, shingle="word", word_ngram=1, threshold=0.9, bucket_neighbors=1)
    assert found == {60: 0}


shingle_sets = st.lists(st.sets(st.integers(0, 40)), min_size=1, max_size=12)


@settings(max_examples=80, deadline=None)
@given(shingle_sets, st.data())
def test_pair_jaccard_equals_jaccard_on_each_pair(sets: list[set[int]], data: st.DataObject) -> None:
    arrays = [np.array(sorted(s), dtype=np.uint64) for s in sets]
    batch = ShingleBatch(values=np.concatenate(arrays), offsets=np.cumsum([0] + [len(a) for a in arrays]))
    index = st.integers(0, len(sets) - 1)
    pairs = np.array(data.draw(st.lists(st.tuples(index, index), min_size=1, max_size=30)), dtype=np.int64)
    expected = [jaccard(arrays[i], arrays[j]) for i, j in pairs]
    for cells in (1 << 24, 0):  # the membership table, then the binary search
        assert pair_jaccard(batch, pairs, table_cells=cells).tolist() == expected  # same floats, bit for bit
