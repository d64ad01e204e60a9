#!/usr/bin/python3
"""make_encoder_fixture.py — builds tests/fixtures/encoder/: tiny random BERT
sequence classifiers in Hugging Face layout and their expected logits.

The forward below is Hugging Face's BertModel + BertForSequenceClassification
written out in plain PyTorch (transformers is not needed): embeddings
(word + position + token type) -> LayerNorm -> N post-LN layers
(self-attention with the extended mask (1 - mask) * finfo.min, exact-erf
GELU feed-forward) -> tanh pooler on token 0 -> linear heads. Expected
logits are computed in float64 from the stored (possibly F16/BF16-rounded)
weights. model.safetensors is written by hand (struct + json).

Variants: base (F32, one 3-label head), f16, bf16, oldnames (LayerNorm
gamma/beta and no "bert." prefix), multihead (finsent_heads topic +
sentiment). Usage: /usr/bin/python3 tools/make_encoder_fixture.py [OUTDIR]
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_write  # noqa: E402

H, LAYERS, NH, INTER, MAXPOS, TYPES = 32, 2, 4, 64, 40, 2
EPS = 1e-12

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + list("!$%&'(),-./:;?") + \
    [str(d) for d in range(10)] + list("abcdefghijklmnopqrstuvwxyz") + \
    ["the", "stock", "shares", "fell", "rose", "profit", "loss", "bank", "market", "after",
     "earnings", "beat", "miss", "guidance", "cut", "up", "down", "strong", "weak", "record",
     "##s", "##ed", "##ing", "##ly", "##er", "q", "##1", "##2", "##3", "##4", "aapl", "tsla",
     "is", "a", "on", "to", "of", "in", "and", "warns", "crash", "rally", "buy", "sell"]
VOCAB = list(dict.fromkeys(VOCAB))  # no duplicates; ids = positions

TEXTS = [
    "The stock fell after earnings miss.",
    "Shares rose on strong guidance!",
    "$AAPL beat q3 earnings, record profit",
    "Bank warns of weak market; shares down 4.2%",
    "",
    "TSLA rally: buy buy buy",
]


def tokenize(text, vocab_ids):
    """BertTokenizer for lower-cased ASCII text: basic split then WordPiece."""
    words, cur = [], ""
    for ch in text.lower():
        if ch.isspace():
            if cur:
                words.append(cur)
            cur = ""
        elif not ch.isalnum():
            if cur:
                words.append(cur)
            words.append(ch)
            cur = ""
        else:
            cur += ch
    if cur:
        words.append(cur)
    ids = [vocab_ids["[CLS]"]]
    for w in words:
        start, pieces = 0, []
        while start < len(w):
            end, found = len(w), None
            while start < end:
                sub = ("##" if start else "") + w[start:end]
                if sub in vocab_ids:
                    found = sub
                    break
                end -= 1
            if found is None:
                pieces = ["[UNK]"]
                break
            pieces.append(found)
            start = end
        ids += [vocab_ids[p] for p in pieces]
    ids.append(vocab_ids["[SEP]"])
    return ids


def make_weights(gen, heads):
    """Random weights in HF naming; wider than BERT's 0.02 so logits differ."""
    V, C, I = len(VOCAB), H, INTER
    w = {}

    def n(*shape, std=0.3):
        return torch.randn(*shape, generator=gen, dtype=torch.float32) * std

    w["bert.embeddings.word_embeddings.weight"] = n(V, C, std=1.0)
    w["bert.embeddings.position_embeddings.weight"] = n(MAXPOS, C, std=0.5)
    w["bert.embeddings.token_type_embeddings.weight"] = n(TYPES, C, std=0.5)
    w["bert.embeddings.LayerNorm.weight"] = 1 + n(C, std=0.1)
    w["bert.embeddings.LayerNorm.bias"] = n(C, std=0.1)
    for l in range(LAYERS):
        p = f"bert.encoder.layer.{l}."
        for m in ("query", "key", "value"):
            w[p + f"attention.self.{m}.weight"] = n(C, C)
            w[p + f"attention.self.{m}.bias"] = n(C, std=0.1)
        w[p + "attention.output.dense.weight"] = n(C, C)
        w[p + "attention.output.dense.bias"] = n(C, std=0.1)
        w[p + "attention.output.LayerNorm.weight"] = 1 + n(C, std=0.1)
        w[p + "attention.output.LayerNorm.bias"] = n(C, std=0.1)
        w[p + "intermediate.dense.weight"] = n(I, C)
        w[p + "intermediate.dense.bias"] = n(I, std=0.1)
        w[p + "output.dense.weight"] = n(C, I, std=0.2)
        w[p + "output.dense.bias"] = n(C, std=0.1)
        w[p + "output.LayerNorm.weight"] = 1 + n(C, std=0.1)
        w[p + "output.LayerNorm.bias"] = n(C, std=0.1)
    w["bert.pooler.dense.weight"] = n(C, C)
    w["bert.pooler.dense.bias"] = n(C, std=0.1)
    for name, labels in heads:
        key = "classifier" if name is None else f"classifier.{name}"
        w[key + ".weight"] = n(len(labels), C, std=0.5)
        w[key + ".bias"] = n(len(labels), std=0.1)
    return w


def layernorm(x, g, b):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + EPS) * g + b


def forward(w, ids, mask, heads):
    """HF BertForSequenceClassification in float64. ids, mask: (B, T)."""
    w = {k: v.double() for k, v in w.items()}
    B, T = ids.shape
    C, HS = H, H // NH
    pos = torch.arange(T)
    x = (w["bert.embeddings.word_embeddings.weight"][ids] +
         w["bert.embeddings.position_embeddings.weight"][pos][None] +
         w["bert.embeddings.token_type_embeddings.weight"][torch.zeros_like(ids)])
    x = layernorm(x, w["bert.embeddings.LayerNorm.weight"], w["bert.embeddings.LayerNorm.bias"])
    ext = (1.0 - mask.double())[:, None, None, :] * torch.finfo(torch.float32).min
    for l in range(LAYERS):
        p = f"bert.encoder.layer.{l}."

        def lin(inp, name):
            return inp @ w[p + name + ".weight"].T + w[p + name + ".bias"]

        def split(t):
            return t.view(B, T, NH, HS).permute(0, 2, 1, 3)

        q, k, v = (split(lin(x, f"attention.self.{m}")) for m in ("query", "key", "value"))
        scores = q @ k.transpose(-1, -2) / math.sqrt(HS) + ext
        ctx = (torch.softmax(scores, -1) @ v).permute(0, 2, 1, 3).reshape(B, T, C)
        x = layernorm(lin(ctx, "attention.output.dense") + x,
                      w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
        hmid = torch.nn.functional.gelu(lin(x, "intermediate.dense"))
        x = layernorm(lin(hmid, "output.dense") + x,
                      w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
    pooled = torch.tanh(x[:, 0] @ w["bert.pooler.dense.weight"].T + w["bert.pooler.dense.bias"])
    outs = []
    for name, _ in heads:
        key = "classifier" if name is None else f"classifier.{name}"
        outs.append(pooled @ w[key + ".weight"].T + w[key + ".bias"])
    return torch.cat(outs, -1)


def write_safetensors(path, tensors, dtype):
    """tensors: list of (name, float32 tensor); dtype 'F32' | 'F16' | 'BF16'."""
    tdt = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}[dtype]
    entries = []
    for name, t in tensors:
        raw = t.to(tdt).contiguous().view(torch.uint8).numpy().tobytes() if dtype != "F32" \
            else t.contiguous().numpy().tobytes()
        entries.append((name, dtype, list(t.shape), raw))
    safetensors_write.write_safetensors(path, entries)


def rounded(w, dtype):
    tdt = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}[dtype]
    return {k: v.to(tdt).to(torch.float32) for k, v in w.items()}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/encoder"
    vocab_ids = {t: i for i, t in enumerate(VOCAB)}
    gen = torch.Generator().manual_seed(20240501)
    sentiment = ["negative", "neutral", "positive"]
    topic = ["earnings", "macro", "m&a", "other"]
    # token-id sequences: the texts, plus lengths 1, 2 and MAXPOS
    seqs = [(t, tokenize(t, vocab_ids)) for t in TEXTS]
    seqs.append((None, [vocab_ids["[CLS]"]]))
    seqs.append((None, [vocab_ids["[CLS]"], vocab_ids["[SEP]"]]))
    seqs.append((None, [vocab_ids["[CLS]"]] + [int(torch.randint(5, len(VOCAB), (1,), generator=gen))
                                               for _ in range(MAXPOS - 2)] + [vocab_ids["[SEP]"]]))
    plain_heads = [(None, sentiment)]
    multi_heads = [("topic", topic), ("sentiment", sentiment)]
    w_plain = make_weights(gen, plain_heads)
    w_multi = make_weights(gen, multi_heads)

    variants = [("base", w_plain, plain_heads, "F32", False),
                ("f16", w_plain, plain_heads, "F16", False),
                ("bf16", w_plain, plain_heads, "BF16", False),
                ("oldnames", w_plain, plain_heads, "F32", True),
                ("multihead", w_multi, multi_heads, "F32", False)]
    for name, w, heads, dtype, oldnames in variants:
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        wr = rounded(w, dtype)
        tensors = []
        for k, v in wr.items():
            if oldnames:
                k = k.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
                k = k[len("bert."):] if k.startswith("bert.") else k
            tensors.append((k, v))
        write_safetensors(os.path.join(d, "model.safetensors"), tensors, dtype)
        cfg = {"architectures": ["BertForSequenceClassification"], "model_type": "bert",
               "hidden_size": H, "num_hidden_layers": LAYERS, "num_attention_heads": NH,
               "intermediate_size": INTER, "hidden_act": "gelu", "max_position_embeddings": MAXPOS,
               "type_vocab_size": TYPES, "layer_norm_eps": EPS, "vocab_size": len(VOCAB),
               "position_embedding_type": "absolute"}
        if heads[0][0] is None:
            cfg["id2label"] = {str(i): l for i, l in enumerate(sentiment)}
            cfg["label2id"] = {l: i for i, l in enumerate(sentiment)}
        else:
            cfg["finsent_heads"] = [{"name": n, "id2label": {str(i): l for i, l in enumerate(ls)}}
                                    for n, ls in heads]
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(cfg, f, indent=1)
        with open(os.path.join(d, "vocab.txt"), "w") as f:
            f.write("\n".join(VOCAB) + "\n")
        with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
            json.dump({"do_lower_case": True}, f)
        expected = []
        for text, ids in seqs:
            t = torch.tensor([ids])
            logits = forward(wr, t, torch.ones_like(t), heads)[0]
            e = {"ids": ids, "logits": [round(float(x), 7) for x in logits]}
            if text is not None:
                e["text"] = text
            expected.append(e)
        # a padded batch through the mask must give the same logits
        T = max(len(ids) for _, ids in seqs[:6])
        ids_b = torch.tensor([ids + [0] * (T - len(ids)) for _, ids in seqs[:6]])
        mask_b = torch.tensor([[1] * len(ids) + [0] * (T - len(ids)) for _, ids in seqs[:6]])
        lb = forward(wr, ids_b, mask_b, heads)
        for i in range(6):
            assert torch.allclose(lb[i], torch.tensor(expected[i]["logits"], dtype=torch.float64), atol=1e-6)
        with open(os.path.join(d, "expected.json"), "w") as f:
            json.dump({"tolerance": 1e-4, "sequences": expected}, f, indent=0)
    print("wrote", out)


if __name__ == "__main__":
    main()
