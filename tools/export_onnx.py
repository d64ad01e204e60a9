#!/usr/bin/python3
"""export_onnx.py — the ONNX Runtime peer's models for bench/ort_peer.sh.

Exports a finsent / Hugging Face BERT sequence classifier (model.safetensors
in F32, F16 or BF16, config.json) to ONNX with PyTorch (Debian's
python3-torch; transformers is not needed), and optionally writes ONNX
Runtime's dynamic int8 form of it. With --shape it first writes a model
directory of that shape with random weights (BERT's N(0, 0.02) init), so
that finsent and ONNX Runtime run the very same weights.

The module below is Hugging Face's BertModel + BertForSequenceClassification
written out op for op as transformers writes it (embeddings + LayerNorm,
post-LN layers, extended mask (1 - mask) * finfo.min, exact-erf GELU, tanh
pooler on token 0, one linear per head, logits concatenated in head order),
so that ONNX Runtime's graph optimiser finds the same patterns (LayerNorm,
Gelu, attention) it finds in a transformers export.

Graph inputs: input_ids and attention_mask, int64 (batch, sequence); output:
logits, float32 (batch, sum of the heads' labels).

--int8 writes what onnxruntime.quantization.quantize_dynamic(per_channel=True,
weight_type=QInt8) writes for the MatMuls whose right operand is a weight
(that Python package is on PyPI only): DynamicQuantizeLinear of the
activation (uint8, one scale per tensor), MatMulInteger with int8 weights
(symmetric, one scale per output column), Cast, and the two scale Muls.
ONNX Runtime fuses these into its MatMulIntegerToFloat kernel.

Usage:
  export_onnx.py --model DIR --onnx OUT.onnx [--int8 OUT.int8.onnx]
  export_onnx.py --shape 256,4,4,1024 --write-model DIR --onnx OUT.onnx [--int8 ...]
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_encoder_fixture import write_safetensors  # noqa: E402

DTYPES = {"F32": (np.float32, 4), "F16": (np.float16, 2), "BF16": (None, 2)}


def read_safetensors(path):
    """name -> float32 tensor, for F32, F16 and BF16 tensors."""
    with open(path, "rb") as f:
        (hlen,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(hlen))
        data = f.read()
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        a, b = t["data_offsets"]
        raw = data[a:b]
        if t["dtype"] == "BF16":
            u = np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16
            arr = u.view(np.float32)
        elif t["dtype"] in DTYPES:
            arr = np.frombuffer(raw, dtype=DTYPES[t["dtype"]][0]).astype(np.float32)
        else:
            continue
        out[name] = torch.from_numpy(arr.reshape(t["shape"]).copy())
    return out


def canonical(name):
    """Hugging Face's names: "bert." prefix, LayerNorm weight/bias."""
    name = name.replace("LayerNorm.gamma", "LayerNorm.weight").replace("LayerNorm.beta", "LayerNorm.bias")
    if not name.startswith(("bert.", "classifier")):
        name = "bert." + name
    return name


def write_random_model(d, shape, vocab=30000, maxpos=512):
    """A model directory of shape H,L,NH,I with random weights, one 3-label head."""
    C, L, NH, I = shape
    gen = torch.Generator().manual_seed(42)

    def n(*s):
        return torch.randn(*s, generator=gen) * 0.02

    w = {"bert.embeddings.word_embeddings.weight": n(vocab, C),
         "bert.embeddings.position_embeddings.weight": n(maxpos, C),
         "bert.embeddings.token_type_embeddings.weight": n(2, C),
         "bert.embeddings.LayerNorm.weight": torch.ones(C), "bert.embeddings.LayerNorm.bias": torch.zeros(C)}
    for l in range(L):
        p = f"bert.encoder.layer.{l}."
        for m in ("query", "key", "value"):
            w[p + f"attention.self.{m}.weight"] = n(C, C)
            w[p + f"attention.self.{m}.bias"] = torch.zeros(C)
        w[p + "attention.output.dense.weight"] = n(C, C)
        w[p + "attention.output.dense.bias"] = torch.zeros(C)
        w[p + "attention.output.LayerNorm.weight"] = torch.ones(C)
        w[p + "attention.output.LayerNorm.bias"] = torch.zeros(C)
        w[p + "intermediate.dense.weight"] = n(I, C)
        w[p + "intermediate.dense.bias"] = torch.zeros(I)
        w[p + "output.dense.weight"] = n(C, I)
        w[p + "output.dense.bias"] = torch.zeros(C)
        w[p + "output.LayerNorm.weight"] = torch.ones(C)
        w[p + "output.LayerNorm.bias"] = torch.zeros(C)
    w["bert.pooler.dense.weight"] = n(C, C)
    w["bert.pooler.dense.bias"] = torch.zeros(C)
    w["classifier.weight"] = n(3, C)
    w["classifier.bias"] = torch.zeros(3)
    os.makedirs(d, exist_ok=True)
    write_safetensors(os.path.join(d, "model.safetensors"), list(w.items()), "F32")
    labels = ["negative", "neutral", "positive"]
    cfg = {"architectures": ["BertForSequenceClassification"], "model_type": "bert", "hidden_size": C,
           "num_hidden_layers": L, "num_attention_heads": NH, "intermediate_size": I, "hidden_act": "gelu",
           "max_position_embeddings": maxpos, "type_vocab_size": 2, "layer_norm_eps": 1e-12,
           "vocab_size": vocab, "position_embedding_type": "absolute",
           "id2label": {str(i): x for i, x in enumerate(labels)}, "label2id": {x: i for i, x in enumerate(labels)}}
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    with open(os.path.join(d, "vocab.txt"), "w") as f:
        f.write("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n")
        f.write("".join(f"w{i:05d}\n" for i in range(5, vocab)))
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": True}, f)


class SelfAttention(torch.nn.Module):
    def __init__(self, C, NH):
        super().__init__()
        self.nh, self.hs = NH, C // NH
        self.query, self.key, self.value = (torch.nn.Linear(C, C) for _ in range(3))

    def split(self, x):
        return x.view(x.size()[:-1] + (self.nh, self.hs)).permute(0, 2, 1, 3)

    def forward(self, x, ext):
        q, k, v = self.split(self.query(x)), self.split(self.key(x)), self.split(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.hs) + ext
        ctx = torch.matmul(torch.softmax(scores, dim=-1), v).permute(0, 2, 1, 3).contiguous()
        return ctx.view(ctx.size()[:-2] + (self.nh * self.hs,))


class Layer(torch.nn.Module):
    def __init__(self, C, NH, I, eps):
        super().__init__()
        self.att = SelfAttention(C, NH)
        self.ao, self.ln1 = torch.nn.Linear(C, C), torch.nn.LayerNorm(C, eps=eps)
        self.inter, self.out = torch.nn.Linear(C, I), torch.nn.Linear(I, C)
        self.ln2 = torch.nn.LayerNorm(C, eps=eps)

    def forward(self, x, ext):
        x = self.ln1(self.ao(self.att(x, ext)) + x)
        return self.ln2(self.out(torch.nn.functional.gelu(self.inter(x))) + x)


class Bert(torch.nn.Module):
    def __init__(self, cfg, head_sizes):
        super().__init__()
        C, eps = cfg["hidden_size"], cfg.get("layer_norm_eps", 1e-12)
        self.word = torch.nn.Embedding(cfg["vocab_size"], C)
        self.pos = torch.nn.Embedding(cfg.get("max_position_embeddings", 512), C)
        self.ttype = torch.nn.Embedding(cfg.get("type_vocab_size", 2), C)
        self.ln = torch.nn.LayerNorm(C, eps=eps)
        self.layers = torch.nn.ModuleList(
            Layer(C, cfg["num_attention_heads"], cfg["intermediate_size"], eps)
            for _ in range(cfg["num_hidden_layers"]))
        self.pool = torch.nn.Linear(C, C)
        self.heads = torch.nn.ModuleList(torch.nn.Linear(C, n) for n in head_sizes)

    def forward(self, input_ids, attention_mask):
        T = input_ids.size(1)
        pos = torch.arange(T, dtype=torch.long).unsqueeze(0)
        x = self.ln(self.word(input_ids) + self.pos(pos) + self.ttype(torch.zeros_like(input_ids)))
        ext = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, ext)
        pooled = torch.tanh(self.pool(x[:, 0]))
        return torch.cat([h(pooled) for h in self.heads], dim=-1)


def load_into(model, w, head_names):
    """Copies the checkpoint's tensors into the module; every tensor is used."""
    def put(dst, name):
        t = w.pop(name)
        assert dst.shape == t.shape, f"{name}: shape {list(t.shape)}, expected {list(dst.shape)}"
        dst.data.copy_(t)

    e = "bert.embeddings."
    put(model.word.weight, e + "word_embeddings.weight")
    put(model.pos.weight, e + "position_embeddings.weight")
    put(model.ttype.weight, e + "token_type_embeddings.weight")
    put(model.ln.weight, e + "LayerNorm.weight")
    put(model.ln.bias, e + "LayerNorm.bias")
    for l, layer in enumerate(model.layers):
        p = f"bert.encoder.layer.{l}."
        for m in ("query", "key", "value"):
            put(getattr(layer.att, m).weight, p + f"attention.self.{m}.weight")
            put(getattr(layer.att, m).bias, p + f"attention.self.{m}.bias")
        for mod, name in ((layer.ao, "attention.output.dense"), (layer.ln1, "attention.output.LayerNorm"),
                          (layer.inter, "intermediate.dense"), (layer.out, "output.dense"),
                          (layer.ln2, "output.LayerNorm")):
            put(mod.weight, p + name + ".weight")
            put(mod.bias, p + name + ".bias")
    put(model.pool.weight, "bert.pooler.dense.weight")
    put(model.pool.bias, "bert.pooler.dense.bias")
    for h, name in zip(model.heads, head_names):
        key = "classifier" if name is None else f"classifier.{name}"
        put(h.weight, key + ".weight")
        put(h.bias, key + ".bias")
    w.pop("bert.embeddings.position_ids", None)
    assert not w, f"tensors not used: {sorted(w)[:5]}"


def heads_of(cfg, w):
    """[(name or None, n_labels)] in finsent's logits order."""
    if "finsent_heads" in cfg:
        return [(h["name"], len(h["id2label"])) for h in cfg["finsent_heads"]]
    return [(None, w["classifier.weight"].shape[0])]


def export(model_dir, onnx_path):
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    # finsent.* tensors are the wide n-gram part, outside the encoder
    w = {canonical(k): v for k, v in read_safetensors(os.path.join(model_dir, "model.safetensors")).items()
         if not k.startswith("finsent.")}
    heads = heads_of(cfg, w)
    model = Bert(cfg, [n for _, n in heads]).eval()
    load_into(model, w, [name for name, _ in heads])
    ids = torch.full((2, 8), 5, dtype=torch.long)
    mask = torch.ones_like(ids)
    with torch.no_grad():
        torch.onnx.export(model, (ids, mask), onnx_path, input_names=["input_ids", "attention_mask"],
                          output_names=["logits"], opset_version=14,
                          dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                                        "attention_mask": {0: "batch", 1: "sequence"},
                                        "logits": {0: "batch"}})


def quantize_dynamic(src, dst):
    """quantize_dynamic(per_channel=True, weight_type=QInt8) for MatMul(x, W)."""
    import onnx
    from onnx import helper, numpy_helper, TensorProto

    m = onnx.load(src)
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    nodes, n_q, quantized = [], 0, set()
    for node in g.node:
        if node.op_type != "MatMul" or node.input[1] not in inits:
            nodes.append(node)
            continue
        wname = node.input[1]
        wf = numpy_helper.to_array(inits[wname]).astype(np.float32)  # (K, N)
        scale = np.maximum(np.abs(wf).max(axis=0), 1e-12) / 127.0
        wq = np.clip(np.rint(wf / scale), -127, 127).astype(np.int8)
        p = f"{wname}_q"
        g.initializer.extend([numpy_helper.from_array(wq, p), numpy_helper.from_array(scale.astype(np.float32),
                                                                                        p + "_scale"),
                              numpy_helper.from_array(np.zeros(wq.shape[1], np.int8), p + "_zp")])
        x = node.input[0]
        if x not in quantized:  # one DynamicQuantizeLinear per activation (q, k, v share theirs)
            quantized.add(x)
            nodes.append(helper.make_node("DynamicQuantizeLinear", [x], [x + "_q", x + "_s", x + "_zp"],
                                          name=x + "_dql"))
        nodes += [
            helper.make_node("MatMulInteger", [x + "_q", p, x + "_zp", p + "_zp"], [p + "_i32"], name=p + "_mmi"),
            helper.make_node("Cast", [p + "_i32"], [p + "_f"], to=TensorProto.FLOAT, name=p + "_cast"),
            helper.make_node("Mul", [x + "_s", p + "_scale"], [p + "_s"], name=p + "_smul"),
            helper.make_node("Mul", [p + "_f", p + "_s"], [node.output[0]], name=p + "_mul"),
        ]
        n_q += 1
    del g.node[:]
    g.node.extend(nodes)
    used = {i for n in g.node for i in n.input}
    keep = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(keep)
    onnx.save(m, dst)
    return n_q


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", help="model directory to export")
    ap.add_argument("--shape", help="HIDDEN,LAYERS,HEADS,INTERMEDIATE: write a random model first")
    ap.add_argument("--write-model", help="directory for the --shape model")
    ap.add_argument("--onnx", required=True, help="ONNX file to write")
    ap.add_argument("--int8", help="also write ONNX Runtime's dynamic int8 form here")
    a = ap.parse_args()
    if bool(a.model) == bool(a.shape) or (a.shape and not a.write_model):
        ap.error("give --model DIR, or --shape H,L,NH,I with --write-model DIR")
    model_dir = a.model
    if a.shape:
        shape = [int(x) for x in a.shape.split(",")]
        write_random_model(a.write_model, shape)
        model_dir = a.write_model
    torch.manual_seed(0)
    export(model_dir, a.onnx)
    print(f"wrote {a.onnx}", file=sys.stderr)
    if a.int8:
        n = quantize_dynamic(a.onnx, a.int8)
        print(f"wrote {a.int8} ({n} MatMuls quantised)", file=sys.stderr)


if __name__ == "__main__":
    main()
