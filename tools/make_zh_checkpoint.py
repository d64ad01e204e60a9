#!/usr/bin/env python3
"""make_zh_checkpoint — a tiny random-weight checkpoint in bert-base-chinese's
layout, for the bring-your-own-checkpoint test (tests/integration/zh_checkpoint.sh).

What is bert-base-chinese's and kept here:
  - vocab.txt laid out as its own: [PAD] at 0, [unused1]..[unused99] at
    1-99, [UNK] 100, [CLS] 101, [SEP] 102, [MASK] 103, <S> 104, <T> 105,
    then ASCII characters, digits, Latin pieces, full-width punctuation, CJK
    characters one per line, and "##" pieces (of Latin and digits, and of
    CJK characters, which BertTokenizer never produces: it cuts every CJK
    character out as its own word);
  - tokenizer_config.json {"do_lower_case": false} (cased: case and
    accents kept, as for bert-base-chinese);
  - config.json with its extra keys (directionality, pooler_*), as a
    fine-tuned BertForSequenceClassification with id2label
    negative / positive.
What is not: the size (hidden 32, 2 layers, 4 heads, 64 positions, about
800 tokens) and the weights (random, seeded).

expected.json holds, per text, the token ids of Hugging Face's BertTokenizer
(tools/tok_reference.py's encode, the reference the tokenizer fixtures are
made with) and the logits of BertForSequenceClassification computed here in
float64 from the stored float32 weights (pure Python: embeddings, post-LN
layers with exact-erf GELU, tanh pooler, classifier). Tests never run this.

  tools/make_zh_checkpoint.py [OUTDIR]   (default tests/fixtures/zh-checkpoint)
"""
import json
import math
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_write  # noqa: E402
import tok_reference  # noqa: E402

H, LAYERS, NH, INTER, MAXPOS, TYPES = 32, 2, 4, 64, 64, 2
EPS = 1e-12
LABELS = ["negative", "positive"]

CJK = ("的一是不了在人有我他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于着下自之年过发后作里"
       "股市价跌涨停板盘指数票资金融银行证券基公司业绩利润亏损增长下降风险投机会买卖持仓空多头"
       "贵州茅台腾讯控平安科技新能源汽车医药白酒房地产保险今天明昨日月周季度报告预期超不及暴"
       "恐慌情绪大幅回调反弹突破支撑压力主力散户机构外北向南向流入流出监管调查处罚退市重组并购"
       "分红送转高管减持增发融券估值底部顶部牛熊震荡企稳走势分时均线量能放缩场蔓延收元都看块")
LATIN_WORDS = ["the", "to", "and", "app", "apple", "ten", "tencent", "stock", "up", "down", "buy", "sell",
               "sh", "sz", "hk", "ss", "aapl", "ipo", "etf", "pe", "ceo", "ai", "vs"]
LATIN_PIECES = ["##s", "##le", "##ing", "##ed", "##cent", "##l", "##p", "##a", "##e", "##t", "##n"] + \
    ["##" + chr(c) for c in range(ord("A"), ord("Z") + 1)]
DIGIT_WORDS = ["2016", "2015", "600", "000", "700", "10", "25", "3", "15", "0700", "600519"]
DIGIT_PIECES = ["##00", "##519", "##600", "##01", "##5", "##0", "##1", "##2", "##3", "##6", "##9", "##16"]
FULLWIDTH = list("，。！？：；（）、“”‘’…《》【】～·％")
HASH_CJK = ["##的", "##股", "##价", "##茅", "##台"]  # unreachable by BertTokenizer: CJK is cut out first

TEXTS = [
    "贵州茅台股价暴跌，市场恐慌情绪蔓延！",
    "$贵州茅台(SH600519)$ 今天涨停，主力资金大幅流入",
    "腾讯控股0700.HK业绩超预期，明日看涨",
    "平安银行 2016年3月15日 收于10.25元",
    "Apple和Tencent都跌了，AAPL下跌3%",
    "ＳＨ６００５１９ 放量突破",
    "白酒板块回调…",
    "监管调查，公司退市风险",
    "トヨタ株価",
    "𠀀中",
    "",
    "buy the dip 买入",
]


def build_vocab():
    toks = ["[PAD]"] + ["[unused%d]" % i for i in range(1, 100)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]", "<S>", "<T>"]
    toks += [chr(c) for c in range(33, 127)]
    toks += LATIN_WORDS + DIGIT_WORDS + FULLWIDTH
    toks += list(CJK)
    toks += LATIN_PIECES + DIGIT_PIECES + HASH_CJK
    return list(dict.fromkeys(toks))  # first occurrence kept


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def make_weights(rng, V):
    """Random weights in HF naming, rounded to float32; wider than BERT's
    0.02 so that logits differ between texts. name -> (shape, flat list)."""
    w = {}

    def n(shape, std=0.3, mean=0.0):
        size = 1
        for d in shape:
            size *= d
        return (shape, [f32(mean + rng.gauss(0, std)) for _ in range(size)])

    C, I = H, INTER
    w["bert.embeddings.word_embeddings.weight"] = n([V, C], 1.0)
    w["bert.embeddings.position_embeddings.weight"] = n([MAXPOS, C], 0.5)
    w["bert.embeddings.token_type_embeddings.weight"] = n([TYPES, C], 0.5)
    w["bert.embeddings.LayerNorm.weight"] = n([C], 0.1, 1.0)
    w["bert.embeddings.LayerNorm.bias"] = n([C], 0.1)
    for l in range(LAYERS):
        p = "bert.encoder.layer.%d." % l
        for m in ("query", "key", "value"):
            w[p + "attention.self.%s.weight" % m] = n([C, C])
            w[p + "attention.self.%s.bias" % m] = n([C], 0.1)
        w[p + "attention.output.dense.weight"] = n([C, C])
        w[p + "attention.output.dense.bias"] = n([C], 0.1)
        w[p + "attention.output.LayerNorm.weight"] = n([C], 0.1, 1.0)
        w[p + "attention.output.LayerNorm.bias"] = n([C], 0.1)
        w[p + "intermediate.dense.weight"] = n([I, C])
        w[p + "intermediate.dense.bias"] = n([I], 0.1)
        w[p + "output.dense.weight"] = n([C, I], 0.2)
        w[p + "output.dense.bias"] = n([C], 0.1)
        w[p + "output.LayerNorm.weight"] = n([C], 0.1, 1.0)
        w[p + "output.LayerNorm.bias"] = n([C], 0.1)
    w["bert.pooler.dense.weight"] = n([C, C])
    w["bert.pooler.dense.bias"] = n([C], 0.1)
    w["classifier.weight"] = n([len(LABELS), C], 0.5)
    w["classifier.bias"] = n([len(LABELS)], 0.1)
    return w


# ---- the forward, plain Python lists (float64) ----

def rows(t):
    """A [R, K] tensor as a list of R rows."""
    (r, k), flat = t
    return [flat[i * k:(i + 1) * k] for i in range(r)]


def linear(x, w, b):
    """x [T, K] @ w[N, K]^T + b [N]."""
    W, B = rows(w), b[1]
    return [[B[j] + sum(a * c for a, c in zip(xi, W[j])) for j in range(len(W))] for xi in x]


def layernorm(x, g, b):
    out = []
    for v in x:
        mean = sum(v) / len(v)
        var = sum((a - mean) ** 2 for a in v) / len(v)
        inv = 1.0 / math.sqrt(var + EPS)
        out.append([(a - mean) * inv * gg + bb for a, gg, bb in zip(v, g[1], b[1])])
    return out


def gelu(x):
    return 0.5 * x * (1.0 + math.erf(x / math.sqrt(2.0)))


def forward(w, ids):
    """BertForSequenceClassification on one unpadded sequence: its logits."""
    T, C, HS = len(ids), H, H // NH
    word, pos, typ = rows(w["bert.embeddings.word_embeddings.weight"]), rows(
        w["bert.embeddings.position_embeddings.weight"]), rows(w["bert.embeddings.token_type_embeddings.weight"])
    x = [[word[t][c] + pos[i][c] + typ[0][c] for c in range(C)] for i, t in enumerate(ids)]
    x = layernorm(x, w["bert.embeddings.LayerNorm.weight"], w["bert.embeddings.LayerNorm.bias"])
    for l in range(LAYERS):
        p = "bert.encoder.layer.%d." % l
        q, k, v = (linear(x, w[p + "attention.self.%s.weight" % m], w[p + "attention.self.%s.bias" % m])
                   for m in ("query", "key", "value"))
        ctx = [[0.0] * C for _ in range(T)]
        for h in range(NH):
            s = slice(h * HS, (h + 1) * HS)
            for i in range(T):
                sc = [sum(a * b for a, b in zip(q[i][s], k[j][s])) / math.sqrt(HS) for j in range(T)]
                mx = max(sc)
                e = [math.exp(a - mx) for a in sc]
                z = sum(e)
                for d in range(HS):
                    ctx[i][h * HS + d] = sum(e[j] / z * v[j][h * HS + d] for j in range(T))
        a = linear(ctx, w[p + "attention.output.dense.weight"], w[p + "attention.output.dense.bias"])
        x = layernorm([[a[i][c] + x[i][c] for c in range(C)] for i in range(T)],
                      w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
        mid = [[gelu(u) for u in r] for r in linear(x, w[p + "intermediate.dense.weight"], w[p + "intermediate.dense.bias"])]
        o = linear(mid, w[p + "output.dense.weight"], w[p + "output.dense.bias"])
        x = layernorm([[o[i][c] + x[i][c] for c in range(C)] for i in range(T)],
                      w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
    pooled = [math.tanh(u) for u in linear([x[0]], w["bert.pooler.dense.weight"], w["bert.pooler.dense.bias"])[0]]
    return linear([pooled], w["classifier.weight"], w["classifier.bias"])[0]


def write_safetensors(path, w):
    """w's tensors as F32, by name."""
    safetensors_write.write_safetensors(
        path, [(name, "F32", w[name][0], struct.pack("<%df" % len(w[name][1]), *w[name][1])) for name in sorted(w)])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/zh-checkpoint"
    os.makedirs(out, exist_ok=True)
    vocab = build_vocab()
    with open(os.path.join(out, "vocab.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(vocab) + "\n")
    ids_of = tok_reference.load_vocab(os.path.join(out, "vocab.txt"))
    assert ids_of["[UNK]"] == 100 and ids_of["[CLS]"] == 101 and ids_of["[SEP]"] == 102 and ids_of["[MASK]"] == 103
    config = {
        "architectures": ["BertForSequenceClassification"],
        "attention_probs_dropout_prob": 0.1,
        "directionality": "bidi",
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": H,
        "id2label": {str(i): l for i, l in enumerate(LABELS)},
        "initializer_range": 0.02,
        "intermediate_size": INTER,
        "label2id": {l: i for i, l in enumerate(LABELS)},
        "layer_norm_eps": EPS,
        "max_position_embeddings": MAXPOS,
        "model_type": "bert",
        "num_attention_heads": NH,
        "num_hidden_layers": LAYERS,
        "pad_token_id": 0,
        "pooler_fc_size": H,
        "pooler_num_attention_heads": NH,
        "pooler_num_fc_layers": 3,
        "pooler_size_per_head": H // NH,
        "pooler_type": "first_token_transform",
        "problem_type": "single_label_classification",
        "type_vocab_size": TYPES,
        "vocab_size": len(vocab),
    }
    with open(os.path.join(out, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=2, ensure_ascii=False)
        f.write("\n")
    with open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        f.write('{"do_lower_case": false}\n')
    rng = random.Random(20240519)
    w = make_weights(rng, len(vocab))
    write_safetensors(os.path.join(out, "model.safetensors"), w)
    cases = []
    for t in TEXTS:
        ids = tok_reference.encode(t, ids_of, False)
        assert len(ids) <= MAXPOS
        cases.append({"text": t, "ids": ids, "logits": [round(z, 7) for z in forward(w, ids)]})
    with open(os.path.join(out, "expected.json"), "w", encoding="utf-8") as f:
        json.dump({"tolerance": 1e-4, "cased": True, "sequences": cases}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
