#!/usr/bin/env python3
"""Trains finsent's interim default model with PyTorch (Debian python3-torch).

finsent's own C trainer (`finsent train`) is not finished; until it is, this
script produces models/default so that `finsent demo` and `finsent classify`
have a real two-head model. It writes the model directory format of
DESIGN.md (model.safetensors in F16, config.json with "finsent_heads",
vocab.txt, tokenizer_config.json) and a model card with the dev and valid
scores it measured.

Data (read from --data, default ../shared/data; never copied):
  sentiment head: twitter-financial-news-sentiment/sent_train.csv, plus the
                  SEntFiN headlines whose entities all carry one label
                  (SEntFiN rows with sha1(title) % 10 == 0 are held out);
  topic head:     twitter-financial-news-topic/topic_train.csv.
Dev sets: examples whose sha1(text) % 10 == 0 are held out of training and
used to pick the best epoch. The *_valid.csv files are scored once, at the
end, and only reported.

usage: /usr/bin/python3 tools/train_interim_model.py [--data DIR] [--out DIR]
       [--epochs N] [--hidden H] [--layers L] [--vocab-size V] [--threads T]
"""
import argparse
import ast
import collections
import csv
import hashlib
import json
import math
import os
import random
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tok_reference  # noqa: E402  (the project's Python mirror of the C tokenizer)

SENT_LABELS = ["negative", "neutral", "positive"]
SENT_FROM_TWEET = {"0": 0, "1": 2, "2": 1}  # Bearish, Bullish, Neutral
TOPIC_LABELS = ["Analyst Update", "Fed / Central Banks", "Company / Product News",
                "Treasuries / Corporate Debt", "Dividend", "Earnings", "Energy / Oil", "Financials",
                "Currencies", "General News / Opinion", "Gold / Metals / Materials", "IPO",
                "Legal / Regulation", "M&A / Investments", "Macro", "Markets", "Politics",
                "Personnel Change", "Stock Commentary", "Stock Movement"]
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def bucket(text):
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16) % 10


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def load(data):
    sent, topic, sent_valid, topic_valid = [], [], [], []
    for r in read_csv(os.path.join(data, "twitter-financial-news-sentiment/sent_train.csv")):
        sent.append((r["text"], SENT_FROM_TWEET[r["label"].strip()]))
    for r in read_csv(os.path.join(data, "twitter-financial-news-sentiment/sent_valid.csv")):
        sent_valid.append((r["text"], SENT_FROM_TWEET[r["label"].strip()]))
    for r in read_csv(os.path.join(data, "twitter-financial-news-topic/topic_train.csv")):
        topic.append((r["text"], int(r["label"])))
    for r in read_csv(os.path.join(data, "twitter-financial-news-topic/topic_valid.csv")):
        topic_valid.append((r["text"], int(r["label"])))
    headlines = []
    for r in read_csv(os.path.join(data, "sentfin/SEntFiN.csv")):
        try:
            labels = set(ast.literal_eval(r["Decisions"]).values())
        except (ValueError, SyntaxError):
            continue  # the few dicts with unescaped apostrophes in names
        if len(labels) == 1 and bucket(r["Title"]) != 0:
            headlines.append((r["Title"], SENT_LABELS.index(labels.pop())))
    return sent, topic, headlines, sent_valid, topic_valid


def learn_vocab(texts, size):
    """Frequency WordPiece: specials, every character (bare and ##), then the
    most frequent whole words and word-final/-medial pieces until size."""
    words = collections.Counter()
    for t in texts:
        words.update(tok_reference.basic_tokens(t, True))
    chars = collections.Counter()
    pieces = collections.Counter()
    for w, c in words.items():
        for ch in w:
            chars[ch] += c
        for n in range(2, min(len(w), 8)):
            for i in range(1, len(w) - n + 1):
                pieces["##" + w[i:i + n]] += c
    vocab = list(SPECIALS)
    seen = set(vocab)
    for ch, c in chars.most_common():
        if c < 2:
            break
        for tok in (ch, "##" + ch):
            if tok not in seen:
                vocab.append(tok)
                seen.add(tok)
    budget = size - len(vocab)
    n_words = budget * 2 // 3
    for w, c in words.most_common():
        if n_words == 0 or c < 3:
            break
        if w not in seen:
            vocab.append(w)
            seen.add(w)
            n_words -= 1
    for p, c in pieces.most_common():
        if len(vocab) >= size:
            break
        if p not in seen:
            vocab.append(p)
            seen.add(p)
    return vocab


class Bert(nn.Module):
    """BertModel + one linear head per task, in Hugging Face's math (post-LN,
    exact-erf GELU, tanh pooler on [CLS])."""

    def __init__(self, vocab, hidden, layers, heads, inter, max_pos, n_classes):
        super().__init__()
        self.heads = heads
        self.word = nn.Embedding(vocab, hidden)
        self.pos = nn.Embedding(max_pos, hidden)
        self.typ = nn.Embedding(2, hidden)
        self.ln = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList()
        for _ in range(layers):
            self.layers.append(nn.ModuleDict(dict(
                q=nn.Linear(hidden, hidden), k=nn.Linear(hidden, hidden), v=nn.Linear(hidden, hidden),
                o=nn.Linear(hidden, hidden), ln1=nn.LayerNorm(hidden, eps=1e-12),
                fi=nn.Linear(hidden, inter), fo=nn.Linear(inter, hidden), ln2=nn.LayerNorm(hidden, eps=1e-12))))
        self.pooler = nn.Linear(hidden, hidden)
        self.cls = nn.ModuleList([nn.Linear(hidden, n) for n in n_classes])
        self.drop = nn.Dropout(0.1)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def forward(self, ids, mask):
        B, T = ids.shape
        pos = torch.arange(T).unsqueeze(0)
        x = self.drop(self.ln(self.word(ids) + self.pos(pos) + self.typ(torch.zeros_like(ids))))
        hd = x.shape[-1] // self.heads
        bias = (1.0 - mask[:, None, None, :].float()) * -10000.0
        for L in self.layers:
            q = L["q"](x).view(B, T, self.heads, hd).transpose(1, 2)
            k = L["k"](x).view(B, T, self.heads, hd).transpose(1, 2)
            v = L["v"](x).view(B, T, self.heads, hd).transpose(1, 2)
            a = self.drop(torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hd) + bias, dim=-1))
            ctx = (a @ v).transpose(1, 2).reshape(B, T, -1)
            x = L["ln1"](x + self.drop(L["o"](ctx)))
            x = L["ln2"](x + self.drop(L["fo"](F.gelu(L["fi"](x)))))
        pooled = self.drop(torch.tanh(self.pooler(x[:, 0])))
        return [h(pooled) for h in self.cls]

    def hf_tensors(self, head_names):
        """The parameters under Hugging Face BertForSequenceClassification names,
        heads as classifier.<name>.*."""
        t = {"bert.embeddings.word_embeddings.weight": self.word.weight,
             "bert.embeddings.position_embeddings.weight": self.pos.weight,
             "bert.embeddings.token_type_embeddings.weight": self.typ.weight,
             "bert.embeddings.LayerNorm.weight": self.ln.weight, "bert.embeddings.LayerNorm.bias": self.ln.bias,
             "bert.pooler.dense.weight": self.pooler.weight, "bert.pooler.dense.bias": self.pooler.bias}
        names = dict(q="attention.self.query", k="attention.self.key", v="attention.self.value",
                     o="attention.output.dense", ln1="attention.output.LayerNorm", fi="intermediate.dense",
                     fo="output.dense", ln2="output.LayerNorm")
        for i, L in enumerate(self.layers):
            for short, hf in names.items():
                t["bert.encoder.layer.%d.%s.weight" % (i, hf)] = L[short].weight
                t["bert.encoder.layer.%d.%s.bias" % (i, hf)] = L[short].bias
        for name, h in zip(head_names, self.cls):
            t["classifier.%s.weight" % name] = h.weight
            t["classifier.%s.bias" % name] = h.bias
        return t


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        a = tensors[name].detach().to(torch.float16).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F16", "shape": list(tensors[name].shape), "data_offsets": [off, off + len(a)]}
        blobs.append(a)
        off += len(a)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def encode(vocab, texts, max_len):
    """Token ids as `finsent tokenize` gives them: [CLS] pieces [SEP], truncated."""
    out = []
    for t in texts:
        ids = tok_reference.encode(t, vocab, True)
        out.append(ids if len(ids) <= max_len else ids[:max_len - 1] + ids[-1:])
    return out


def batches(examples, bs, rng):
    idx = list(range(len(examples)))
    rng.shuffle(idx)
    # group by length inside chunks for less padding
    for c in range(0, len(idx), bs * 50):
        chunk = sorted(idx[c:c + bs * 50], key=lambda i: len(examples[i][0]))
        group = [chunk[i:i + bs] for i in range(0, len(chunk), bs)]
        rng.shuffle(group)
        for g in group:
            yield [examples[i] for i in g]


def collate(batch):
    T = max(len(ids) for ids, _, _ in batch)
    ids = torch.zeros(len(batch), T, dtype=torch.long)
    mask = torch.zeros(len(batch), T, dtype=torch.long)
    for i, (x, _, _) in enumerate(batch):
        ids[i, :len(x)] = torch.tensor(x)
        mask[i, :len(x)] = 1
    head = torch.tensor([h for _, h, _ in batch])
    label = torch.tensor([y for _, _, y in batch])
    return ids, mask, head, label


@torch.no_grad()
def predict(model, ids_list, head, bs=128):
    model.eval()
    out = []
    for i in range(0, len(ids_list), bs):
        b = [(x, head, 0) for x in ids_list[i:i + bs]]
        ids, mask, _, _ = collate(b)
        out.extend(model(ids, mask)[head].argmax(-1).tolist())
    model.train()
    return out


def scores(gold, pred, n):
    acc = sum(g == p for g, p in zip(gold, pred)) / max(1, len(gold))
    f1s = []
    for c in range(n):
        tp = sum(g == c and p == c for g, p in zip(gold, pred))
        fp = sum(g != c and p == c for g, p in zip(gold, pred))
        fn = sum(g == c and p != c for g, p in zip(gold, pred))
        if tp + fp + fn == 0:
            continue
        pr = tp / (tp + fp) if tp + fp else 0.0
        rc = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * pr * rc / (pr + rc) if pr + rc else 0.0)
    return acc, sum(f1s) / max(1, len(f1s))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--out", default="models/default")
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--vocab-size", type=int, default=8000)
    ap.add_argument("--max-len", type=int, default=64)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    rng = random.Random(a.seed)
    t0 = time.time()

    sent, topic, headlines, sent_valid, topic_valid = load(a.data)
    sent_all = sent + headlines
    sent_tr = [e for e in sent_all if bucket(e[0]) != 0]
    sent_dev = [e for e in sent_all if bucket(e[0]) == 0]
    topic_tr = [e for e in topic if bucket(e[0]) != 0]
    topic_dev = [e for e in topic if bucket(e[0]) == 0]
    vocab = learn_vocab([t for t, _ in sent_tr + topic_tr], a.vocab_size)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(vocab) + "\n")
    tok = tok_reference.load_vocab(os.path.join(a.out, "vocab.txt"))

    train = [(x, 1, y) for x, (_, y) in zip(encode(tok, [t for t, _ in sent_tr], a.max_len), sent_tr)]
    train += [(x, 0, y) for x, (_, y) in zip(encode(tok, [t for t, _ in topic_tr], a.max_len), topic_tr)]
    dev = {0: (encode(tok, [t for t, _ in topic_dev], a.max_len), [y for _, y in topic_dev]),
           1: (encode(tok, [t for t, _ in sent_dev], a.max_len), [y for _, y in sent_dev])}
    print("vocab %d, train %d (sentiment %d, topic %d), dev sentiment %d topic %d" % (
        len(vocab), len(train), len(sent_tr), len(topic_tr), len(sent_dev), len(topic_dev)), flush=True)

    model = Bert(len(vocab), a.hidden, a.layers, a.heads, 4 * a.hidden, a.max_len, [len(TOPIC_LABELS), 3])
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr)
    steps = a.epochs * (len(train) // a.batch + 1)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, s / (0.06 * steps)) * max(0.0, (steps - s) / (steps * 0.94)))
    best, best_state, log = -1.0, None, []
    for ep in range(a.epochs):
        tl, n = 0.0, 0
        for b in batches(train, a.batch, rng):
            ids, mask, head, label = collate(b)
            logits = model(ids, mask)
            loss = 0.0
            for h in (0, 1):
                sel = head == h
                if sel.any():
                    loss = loss + F.cross_entropy(logits[h][sel], label[sel]) * sel.float().mean()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            tl += float(loss)
            n += 1
        ta, tf = scores(dev[0][1], predict(model, dev[0][0], 0), len(TOPIC_LABELS))
        sa, sf = scores(dev[1][1], predict(model, dev[1][0], 1), 3)
        dev_score = (sf + tf) / 2
        log.append("epoch %d: loss %.4f, dev sentiment acc %.4f F1 %.4f, topic acc %.4f F1 %.4f (%.0fs)" % (
            ep + 1, tl / n, sa, sf, ta, tf, time.time() - t0))
        print(log[-1], flush=True)
        if dev_score > best:
            best = dev_score
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)

    write_safetensors(os.path.join(a.out, "model.safetensors"), model.hf_tensors(["topic", "sentiment"]))
    config = {
        "architectures": ["BertForSequenceClassification"], "model_type": "bert",
        "hidden_size": a.hidden, "num_hidden_layers": a.layers, "num_attention_heads": a.heads,
        "intermediate_size": 4 * a.hidden, "hidden_act": "gelu", "max_position_embeddings": a.max_len,
        "type_vocab_size": 2, "layer_norm_eps": 1e-12, "vocab_size": len(vocab),
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "finsent_heads": [
            {"name": "topic", "id2label": {str(i): l for i, l in enumerate(TOPIC_LABELS)}},
            {"name": "sentiment", "id2label": {str(i): l for i, l in enumerate(SENT_LABELS)}}],
    }
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(a.out, "tokenizer_config.json"), "w") as f:
        json.dump({"do_lower_case": True, "model_max_length": a.max_len}, f, indent=2)

    va = scores([y for _, y in sent_valid], predict(model, encode(tok, [t for t, _ in sent_valid], a.max_len), 1), 3)
    vt = scores([y for _, y in topic_valid],
                predict(model, encode(tok, [t for t, _ in topic_valid], a.max_len), 0), len(TOPIC_LABELS))
    summary = {"args": vars(a), "epochs": log, "valid_sentiment": {"accuracy": va[0], "macro_f1": va[1]},
               "valid_topic": {"accuracy": vt[0], "macro_f1": vt[1]}, "seconds": time.time() - t0}
    with open(os.path.join(a.out, "training_log.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary["valid_sentiment"]), json.dumps(summary["valid_topic"]), flush=True)


if __name__ == "__main__":
    main()
