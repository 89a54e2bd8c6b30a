"""The shipped SmolLM2 weights re-encoded for llama.cpp's fast CPU kernels: Q4_1 tensors as Q8_0.

llama.cpp on x86 has no matrix kernel of its own for Q4_1, the shipped file's type, so prompt evaluation
(most of a CPU run) goes through its slow dot-product path; Q8_0 has one and evaluates prompts about
1.7x faster on the same cores (bench/embedded_speed.py). Q8_0 keeps each Q4_1 weight to within 1/254 of
its block's largest magnitude, a few percent of one Q4_1 step, so the model is the same; the text can
differ in places, as it can with the thread count. The file is written once per machine, atomically,
under the user's cache folder, named by the source file's sha256; header and metadata are copied as
they are, only the tensor table and the Q4_1 tensors change.
"""

from __future__ import annotations

import os
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

GGUF_MAGIC = b"GGUF"
Q4_1, Q8_0 = 3, 8  # ggml type ids
BLOCK = 32  # weights per block in both types
Q4_1_BYTES, Q8_0_BYTES = 20, 34  # f16 d, f16 m, 16 bytes of nibbles / f16 d, 32 int8
# GGUF metadata value types with a fixed size (bytes); 8 is a string, 9 an array
_FIXED = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_STRING, _ARRAY = 8, 9


class GGUFFormatError(ValueError):
    """The file is not a GGUF file this module can read."""


@dataclass(frozen=True)
class TensorInfo:
    name: bytes
    dims: tuple[int, ...]
    type: int
    offset: int  # from the start of the data section

    @property
    def count(self) -> int:
        total = 1
        for dim in self.dims:
            total *= dim
        return total


@dataclass(frozen=True)
class GGUFLayout:
    version: int
    metadata: bytes  # the key-value section, verbatim
    alignment: int
    tensors: tuple[TensorInfo, ...]
    data_start: int


def read_layout(path: Path) -> GGUFLayout:
    """Header, metadata bytes and tensor table of a GGUF (version 2 or 3) file."""
    with open(path, "rb") as f:
        if f.read(4) != GGUF_MAGIC:
            raise GGUFFormatError(f"{path} is not a GGUF file")
        version, tensor_count, kv_count = struct.unpack("<IQQ", f.read(20))
        if version not in (2, 3):
            raise GGUFFormatError(f"{path}: GGUF version {version} is not supported")
        start = f.tell()
        alignment = 32
        for _ in range(kv_count):
            key = _read_string(f)
            value_type = _u32(f)
            if key == b"general.alignment" and value_type == 4:
                alignment = _u32(f)
            else:
                _skip_value(f, value_type)
        metadata_end = f.tell()
        f.seek(start)
        metadata = f.read(metadata_end - start)
        tensors = []
        for _ in range(tensor_count):
            name = _read_string(f)
            n_dims = _u32(f)
            dims = struct.unpack(f"<{n_dims}Q", f.read(8 * n_dims))
            tensor_type, offset = struct.unpack("<IQ", f.read(12))
            tensors.append(TensorInfo(name, tuple(dims), tensor_type, offset))
        data_start = _aligned(f.tell(), alignment)
    return GGUFLayout(version, metadata, alignment, tuple(tensors), data_start)


def q4_1_to_q8_0(blocks: bytes) -> bytes:
    """Q4_1 blocks to Q8_0 blocks, rounding as ggml's own quantize_row_q8_0 does (half away from zero)."""
    import numpy as np

    raw = np.frombuffer(blocks, dtype=np.uint8).reshape(-1, Q4_1_BYTES)
    scales = raw[:, 0:4].copy().view(np.float16).astype(np.float32)  # d, m per block
    packed = raw[:, 4:]
    levels = np.concatenate([packed & 0x0F, packed >> 4], axis=1).astype(np.float32)  # weights 0-15, 16-31
    weights = levels * scales[:, 0:1] + scales[:, 1:2]
    amax = np.abs(weights).max(axis=1, keepdims=True)
    step = (amax / 127.0).astype(np.float16)
    inverse = np.divide(1.0, amax / 127.0, out=np.zeros_like(amax), where=amax > 0)
    scaled = weights * inverse
    quants = (np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)).astype(np.int8)
    out = np.empty((raw.shape[0], Q8_0_BYTES), dtype=np.uint8)
    out[:, 0:2] = step.view(np.uint8)
    out[:, 2:] = quants.view(np.uint8)
    return out.tobytes()


def convert_q4_1_to_q8_0(source: Path, target: Path) -> int:
    """Write `target`: `source` with every Q4_1 tensor as Q8_0. Returns how many tensors changed."""
    layout = read_layout(source)
    spans = _stored_spans(layout, source.stat().st_size)
    changed = 0
    infos, offset = [], 0
    for tensor in layout.tensors:
        if tensor.type == Q4_1:
            new_type, size = Q8_0, _q8_0_size(tensor)
            changed += 1
        else:
            new_type, size = tensor.type, spans[tensor.name]
        infos.append((tensor, new_type, offset))
        offset = _aligned(offset + size, layout.alignment)
    with open(source, "rb") as src, open(target, "wb") as out:
        out.write(GGUF_MAGIC + struct.pack("<IQQ", layout.version, len(layout.tensors), _kv_count(source)))
        out.write(layout.metadata)
        for tensor, new_type, new_offset in infos:
            out.write(struct.pack("<Q", len(tensor.name)) + tensor.name)
            out.write(struct.pack(f"<I{len(tensor.dims)}Q", len(tensor.dims), *tensor.dims))
            out.write(struct.pack("<IQ", new_type, new_offset))
        _pad(out, layout.alignment)
        for tensor, new_type, new_offset in infos:
            src.seek(layout.data_start + tensor.offset)
            if new_type != tensor.type:
                out.write(q4_1_to_q8_0(src.read(_q8_0_size(tensor) // Q8_0_BYTES * Q4_1_BYTES)))
            else:
                out.write(src.read(spans[tensor.name]))
            _pad(out, layout.alignment)
    return changed


def fast_copy(source: Path, source_sha256: str, cache_dir: Path) -> Path | None:
    """The Q8_0 copy of `source` in `cache_dir` (written now if missing); None when it cannot be written
    (read-only or full disk) or the source has no Q4_1 tensor: then the source itself is the one to load."""
    target = cache_dir / f"{source.stem}.{source_sha256[:16]}.q8_0.gguf"
    if target.is_file():
        return target
    try:
        if not any(t.type == Q4_1 for t in read_layout(source).tensors):
            return None
        cache_dir.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=cache_dir, prefix=f".{target.name}.", suffix=".tmp")
        os.close(handle)
        try:
            convert_q4_1_to_q8_0(source, Path(temporary))
            os.chmod(temporary, 0o644)  # mkstemp made it private; it is a cache of a public file
            os.replace(temporary, target)  # atomic: a reader sees the whole file or none
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
    except OSError:
        return None
    return target


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "labgen" / "models"


# ----- reading helpers ----------------------------------------------------------------------
def _u32(f: BinaryIO) -> int:
    return int(struct.unpack("<I", f.read(4))[0])


def _u64(f: BinaryIO) -> int:
    return int(struct.unpack("<Q", f.read(8))[0])


def _read_string(f: BinaryIO) -> bytes:
    return f.read(_u64(f))


def _skip_value(f: BinaryIO, value_type: int) -> None:
    if value_type in _FIXED:
        f.seek(_FIXED[value_type], os.SEEK_CUR)
    elif value_type == _STRING:
        f.seek(_u64(f), os.SEEK_CUR)
    elif value_type == _ARRAY:
        item_type, count = _u32(f), _u64(f)
        if item_type in _FIXED:
            f.seek(_FIXED[item_type] * count, os.SEEK_CUR)
        else:
            for _ in range(count):
                _skip_value(f, item_type)
    else:
        raise GGUFFormatError(f"unknown GGUF metadata type {value_type}")


def _kv_count(path: Path) -> int:
    with open(path, "rb") as f:
        f.seek(16)
        return _u64(f)


def _q8_0_size(tensor: TensorInfo) -> int:
    if tensor.count % BLOCK:
        raise GGUFFormatError(f"tensor {tensor.name!r} has {tensor.count} weights, not whole blocks")
    return tensor.count // BLOCK * Q8_0_BYTES


def _stored_spans(layout: GGUFLayout, file_size: int) -> dict[bytes, int]:
    """Bytes from each tensor's start to the next one's (or the end of the file): its data and padding."""
    ordered = sorted(layout.tensors, key=lambda t: t.offset)
    ends = [t.offset for t in ordered[1:]] + [file_size - layout.data_start]
    return {t.name: end - t.offset for t, end in zip(ordered, ends)}


def _aligned(offset: int, alignment: int) -> int:
    return offset + (-offset % alignment)


def _pad(out: BinaryIO, alignment: int) -> None:
    out.write(b"\0" * (-out.tell() % alignment))
