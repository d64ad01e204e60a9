"""safetensors_write — writes a safetensors file from raw tensor bytes, for
the fixture tools (tools/make_encoder_fixture.py, tools/make_zh_checkpoint.py).

The layout is the format's: an 8-byte little-endian header length, the JSON
header (each tensor's dtype, shape and data_offsets, then "__metadata__"
{"format": "pt"}) padded with spaces to a multiple of 8, then the data.
"""
import json
import struct


def write_safetensors(path, entries):
    """entries: (name, dtype, shape, raw bytes) in file order; dtype "F32",
    "F16" or "BF16"; raw little-endian."""
    header, off = {}, 0
    for name, dtype, shape, raw in entries:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [off, off + len(raw)]}
        off += len(raw)
    header["__metadata__"] = {"format": "pt"}
    hj = json.dumps(header, separators=(",", ":")).encode()
    hj += b" " * ((8 - len(hj) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for _, _, _, raw in entries:
            f.write(raw)
