"""The Q4_1 -> Q8_0 copy of a GGUF file, checked with the gguf package's own reader and dequantizer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from labgen.teachers.gguf_q8 import GGUFFormatError, convert_q4_1_to_q8_0, fast_copy, read_layout

gguf = pytest.importorskip("gguf")
Q = gguf.GGMLQuantizationType


def _weights(rows: int, columns: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = rng.normal(0, 0.05, size=(rows, columns)).astype(np.float32)
    values[0, :32] = 0.0  # an all-zero block: its scale must stay 0, not divide by it
    values[1, :32] = 0.3  # a constant block (Q4_1 keeps it in its minimum)
    return values


def _write_model(path: Path) -> dict[str, np.ndarray]:
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("tiny test model")
    writer.add_uint32("test.count", 7)
    writer.add_array("test.words", ["alpha", "beta", "gamma"])
    writer.add_array("test.numbers", [1, 2, 3])
    writer.add_float32("test.ratio", 0.5)
    tensors = {"blk.0.ffn_up.weight": _weights(8, 96, 1), "blk.0.ffn_down.weight": _weights(96, 8 * 4, 2)}
    for name, values in tensors.items():
        writer.add_tensor(name, gguf.quants.quantize(values, Q.Q4_1), raw_dtype=Q.Q4_1)
    norm = np.linspace(0.5, 1.5, 96, dtype=np.float32)
    writer.add_tensor("blk.0.attn_norm.weight", norm)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return {**tensors, "blk.0.attn_norm.weight": norm}


def test_q4_1_tensors_become_q8_0_with_the_same_weights_and_the_rest_is_copied(tmp_path: Path) -> None:
    source, target = tmp_path / "model.gguf", tmp_path / "model.q8_0.gguf"
    _write_model(source)
    assert convert_q4_1_to_q8_0(source, target) == 2
    before, after = gguf.GGUFReader(str(source)), gguf.GGUFReader(str(target))
    assert [f.name for f in after.fields.values()] == [f.name for f in before.fields.values()]
    words = after.fields["test.words"]
    assert [bytes(words.parts[i]).decode() for i in words.data] == ["alpha", "beta", "gamma"]
    old = {t.name: t for t in before.tensors}
    for tensor in after.tensors:
        original = old[tensor.name]
        assert list(tensor.shape) == list(original.shape)
        if original.tensor_type == Q.Q4_1:
            assert tensor.tensor_type == Q.Q8_0
            was = gguf.quants.dequantize(original.data, Q.Q4_1)
            now = gguf.quants.dequantize(tensor.data, Q.Q8_0)
            blocks_max = np.abs(was.reshape(-1, 32)).max(axis=1, keepdims=True)
            # within half a Q8_0 step (amax / 127 / 2), plus the f16 rounding of that step times 127
            assert np.all(np.abs(now - was).reshape(-1, 32) <= blocks_max / 127 * (0.5 + 127 * 2.0 ** -11) + 1e-7)
            assert np.all(now.reshape(-1, 32)[0] == 0.0)
        else:
            assert tensor.tensor_type == original.tensor_type
            assert np.array_equal(np.asarray(tensor.data), np.asarray(original.data))


def test_the_copy_is_written_once_and_reused(tmp_path: Path) -> None:
    source = tmp_path / "model.gguf"
    _write_model(source)
    cache = tmp_path / "cache"
    first = fast_copy(source, "ab" * 32, cache)
    assert first is not None and first.parent == cache and "abababab" in first.name
    stamp = first.stat().st_mtime_ns
    assert fast_copy(source, "ab" * 32, cache) == first and first.stat().st_mtime_ns == stamp
    assert [p.name for p in cache.iterdir()] == [first.name]  # no temporary file left behind


def test_no_copy_without_q4_1_tensors_or_without_a_writable_cache(tmp_path: Path) -> None:
    source = tmp_path / "model.gguf"
    _write_model(source)
    converted = tmp_path / "converted.gguf"
    convert_q4_1_to_q8_0(source, converted)
    assert fast_copy(converted, "cd" * 32, tmp_path / "cache") is None  # nothing to re-encode
    blocked = tmp_path / "not_a_folder"
    blocked.write_text("a file where the cache folder should be")
    assert fast_copy(source, "ef" * 32, blocked / "models") is None


def test_a_file_that_is_not_gguf_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "model.gguf"
    bad.write_bytes(b"not a model at all")
    with pytest.raises(GGUFFormatError):
        read_layout(bad)
