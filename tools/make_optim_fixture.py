#!/usr/bin/env python3
"""make_optim_fixture — reference values for tests/unit/test_train_step.c.

Builds a tiny BERT with two classification heads (topic: 5 classes,
sentiment: 3) and the MLM head (decoder tied to the word embeddings) in plain
PyTorch, written to match Hugging Face's BertModel / BertForPreTraining
math, with fixed weights and a fixed batch of three sequences processed one
at a time (the C side packs them without padding). Then, dropout off:

  loss = CE_topic(ignore -1) + CE_sentiment(ignore -1) + CE_mlm(ignore -1)
  backward; clip_grad_norm_(1.0); AdamW step (decay on matrices only)
  forward + backward + clip + AdamW again (second step: bias correction t=2)

and stores inputs, weights, losses, gradients of step 1 and the weights after
steps 1 and 2 as little-endian float32/int32 in
tests/fixtures/train/step.bin, indexed by tests/fixtures/train/step.json.

Run: /usr/bin/python3 tools/make_optim_fixture.py   (needs torch only)
"""
import json
import math
import os

import torch
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_default_dtype(torch.float32)

CFG = dict(vocab_size=30, hidden=16, layers=2, heads=2, intermediate=32, max_pos=16, type_vocab=2,
           ln_eps=1e-12, heads_spec=[["topic", 5], ["sentiment", 3]],
           lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01, max_norm=1.0)
V, H, L, NH, I = CFG["vocab_size"], CFG["hidden"], CFG["layers"], CFG["heads"], CFG["intermediate"]

names = []   # (name, shape) in the C model's order
def add(name, *shape):
    names.append((name, shape))

add("bert.embeddings.word_embeddings.weight", V, H)
add("bert.embeddings.position_embeddings.weight", CFG["max_pos"], H)
add("bert.embeddings.token_type_embeddings.weight", CFG["type_vocab"], H)
add("bert.embeddings.LayerNorm.weight", H)
add("bert.embeddings.LayerNorm.bias", H)
for l in range(L):
    p = f"bert.encoder.layer.{l}."
    for n in ("query", "key", "value"):
        add(p + f"attention.self.{n}.weight", H, H)
        add(p + f"attention.self.{n}.bias", H)
    add(p + "attention.output.dense.weight", H, H)
    add(p + "attention.output.dense.bias", H)
    add(p + "attention.output.LayerNorm.weight", H)
    add(p + "attention.output.LayerNorm.bias", H)
    add(p + "intermediate.dense.weight", I, H)
    add(p + "intermediate.dense.bias", I)
    add(p + "output.dense.weight", H, I)
    add(p + "output.dense.bias", H)
    add(p + "output.LayerNorm.weight", H)
    add(p + "output.LayerNorm.bias", H)
add("bert.pooler.dense.weight", H, H)
add("bert.pooler.dense.bias", H)
for hn, c in CFG["heads_spec"]:
    add(f"classifier.{hn}.weight", c, H)
    add(f"classifier.{hn}.bias", c)
add("cls.predictions.transform.dense.weight", H, H)
add("cls.predictions.transform.dense.bias", H)
add("cls.predictions.transform.LayerNorm.weight", H)
add("cls.predictions.transform.LayerNorm.bias", H)
add("cls.predictions.bias", V)

P = {}
for n, shape in names:
    if len(shape) == 2:
        t = torch.randn(*shape) * 0.2
    elif n.endswith("LayerNorm.weight"):
        t = 1.0 + 0.1 * torch.randn(*shape)
    else:
        t = 0.1 * torch.randn(*shape)
    P[n] = t.clone().requires_grad_(True)

# batch: three sequences packed as 5 + 7 + 4 tokens; [CLS]=2 [SEP]=3 [MASK]=4
lens = [5, 7, 4]
off = [0]
for n in lens:
    off.append(off[-1] + n)
N = off[-1]
g = torch.Generator().manual_seed(1)
ids = torch.randint(5, V, (N,), generator=g)
for s in range(3):
    ids[off[s]] = 2
    ids[off[s + 1] - 1] = 3
pos = torch.cat([torch.arange(n) for n in lens])
types = torch.zeros(N, dtype=torch.long)
types[off[1] + 4:off[2]] = 1
mlm = torch.full((N,), -1, dtype=torch.long)
for t in (1, 3, 7, 9, 13):
    mlm[t] = ids[t]
ids[1] = 4
ids[7] = 4
ids[9] = 11  # a random replacement, as in the 10% case
labels = {"topic": torch.tensor([1, -1, 4]), "sentiment": torch.tensor([-1, 2, 0])}


def lin(x, n):
    return x @ P[n + ".weight"].T + P[n + ".bias"]


def ln(x, n):
    return F.layer_norm(x, (H,), P[n + ".weight"], P[n + ".bias"], CFG["ln_eps"])


def encode_one(s):
    a, b = off[s], off[s + 1]
    x = (P["bert.embeddings.word_embeddings.weight"][ids[a:b]] +
         P["bert.embeddings.position_embeddings.weight"][pos[a:b]] +
         P["bert.embeddings.token_type_embeddings.weight"][types[a:b]])
    x = ln(x, "bert.embeddings.LayerNorm")
    d = H // NH
    for l in range(L):
        p = f"bert.encoder.layer.{l}."
        q, k, v = (lin(x, p + f"attention.self.{n}").view(-1, NH, d).transpose(0, 1) for n in ("query", "key", "value"))
        att = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(d), dim=-1)
        ctx = (att @ v).transpose(0, 1).reshape(-1, H)
        x = ln(lin(ctx, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
        hmid = F.gelu(lin(x, p + "intermediate.dense"))
        x = ln(lin(hmid, p + "output.dense") + x, p + "output.LayerNorm")
    return x


def forward():
    xs = [encode_one(s) for s in range(3)]
    x = torch.cat(xs)
    cls = torch.stack([xs[s][0] for s in range(3)])
    pooled = torch.tanh(lin(cls, "bert.pooler.dense"))
    losses = {}
    for hn, _ in CFG["heads_spec"]:
        losses[hn] = F.cross_entropy(lin(pooled, f"classifier.{hn}"), labels[hn], ignore_index=-1)
    sel = mlm >= 0
    t = F.gelu(lin(x[sel], "cls.predictions.transform.dense"))
    t = ln(t, "cls.predictions.transform.LayerNorm")
    logits = t @ P["bert.embeddings.word_embeddings.weight"].T + P["cls.predictions.bias"]
    losses["mlm"] = F.cross_entropy(logits, mlm[sel], ignore_index=-1)
    return sum(losses.values()), losses


decay = [P[n] for n, s in names if len(s) == 2]
no_decay = [P[n] for n, s in names if len(s) == 1]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": CFG["weight_decay"]},
                         {"params": no_decay, "weight_decay": 0.0}],
                        lr=CFG["lr"], betas=(CFG["beta1"], CFG["beta2"]), eps=CFG["eps"], foreach=False)

out = {}  # name -> tensor to store
out["in.off"] = torch.tensor(off, dtype=torch.int32)
out["in.ids"] = ids.int()
out["in.pos"] = pos.int()
out["in.types"] = types.int()
out["in.mlm_labels"] = mlm.int()
for hn, _ in CFG["heads_spec"]:
    out[f"in.labels.{hn}"] = labels[hn].int()
for n, _ in names:
    out["param." + n] = P[n].detach().clone()

loss, parts = forward()
loss.backward()
out["loss"] = loss.detach().reshape(1)
for k, v in parts.items():
    out["loss." + k] = v.detach().reshape(1)
for n, _ in names:
    out["grad." + n] = P[n].grad.detach().clone()
norm = torch.nn.utils.clip_grad_norm_([P[n] for n, _ in names], CFG["max_norm"])
out["grad_norm"] = norm.detach().reshape(1)
opt.step()
for n, _ in names:
    out["step1." + n] = P[n].detach().clone()

opt.zero_grad()
loss2, _ = forward()
loss2.backward()
torch.nn.utils.clip_grad_norm_([P[n] for n, _ in names], CFG["max_norm"])
opt.step()
out["loss2"] = loss2.detach().reshape(1)
for n, _ in names:
    out["step2." + n] = P[n].detach().clone()

here = os.path.dirname(os.path.abspath(__file__))
dst = os.path.join(here, "..", "tests", "fixtures", "train")
os.makedirs(dst, exist_ok=True)
index = {"config": CFG, "tensor_order": [n for n, _ in names], "tensors": {}}
with open(os.path.join(dst, "step.bin"), "wb") as f:
    pos_b = 0
    for k, t in out.items():
        t = t.contiguous()
        dt = "I32" if t.dtype == torch.int32 else "F32"
        raw = t.numpy().astype("<i4" if dt == "I32" else "<f4").tobytes()
        index["tensors"][k] = {"dtype": dt, "shape": list(t.shape), "offset": pos_b, "numel": t.numel()}
        f.write(raw)
        pos_b += len(raw)
with open(os.path.join(dst, "step.json"), "w") as f:
    json.dump(index, f, indent=1)
print(f"loss {loss.item():.6f} (parts {', '.join(f'{k} {v.item():.4f}' for k, v in parts.items())}), "
      f"grad norm {norm.item():.4f}, loss after step 1 {loss2.item():.6f}, {pos_b} bytes")
