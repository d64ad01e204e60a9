#!/usr/bin/env python3
"""tok_reference — a pure-Python BertTokenizer reference and the tokenizer fixture.

Written from Hugging Face transformers' BertTokenizer semantics (literal
special tokens in the raw text kept whole, then slow BasicTokenizer +
WordpieceTokenizer on the text between, tokenize_chinese_chars=True,
strip_accents following do_lower_case, max_input_chars_per_word=100),
using Python's unicodedata as transformers does. Tests never run this; it
makes tests/fixtures/tokenizer/ that tests/unit/test_tokenizer.c and
tests/integration/tokenize.sh compare the C tokenizer with.

  tok_reference.py encode --vocab vocab.txt [--cased] IN.jsonl OUT.jsonl
      {"id":…,"text":…} lines in; {"id":…,"ids":[CLS … SEP]} out, untruncated
  tok_reference.py make-fixture DIR
      writes DIR/{vocab.txt,cases.jsonl,expected_uncased.jsonl,expected_cased.jsonl}
"""
import argparse
import json
import os
import random
import sys
import unicodedata

MAX_WORD_CHARS = 100
CJK_RANGES = [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
              (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)]


def load_vocab(path):
    """token -> id, as load_vocab does: universal newlines, later duplicate wins."""
    vocab = {}
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            vocab[line.rstrip("\n")] = i
    return vocab


def is_whitespace(ch):
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs"


def is_control(ch):
    if ch in "\t\n\r":
        return False
    return unicodedata.category(ch)[0] == "C"


def is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch)[0] == "P"


def is_cjk(ch):
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in CJK_RANGES)


def basic_tokens(text, lower):
    """BasicTokenizer: clean, pad CJK, NFC, split, lower+strip accents, split punctuation."""
    cleaned = []
    for ch in text:
        if ord(ch) in (0, 0xFFFD) or is_control(ch):
            continue
        cleaned.append(" " if is_whitespace(ch) else ch)
    padded = "".join(" %s " % ch if is_cjk(ch) else ch for ch in cleaned)
    words = []
    for tok in unicodedata.normalize("NFC", padded).split():
        if lower:
            # one character at a time, as PreTrainedTokenizer.tokenize lower-cases
            # for do_lower_case before BasicTokenizer (no Final_Sigma context)
            tok = "".join(ch.lower() for ch in tok)
            tok = "".join(c for c in unicodedata.normalize("NFD", tok) if unicodedata.category(c) != "Mn")
        cur = []
        for ch in tok:
            if is_punctuation(ch):
                if cur:
                    words.append("".join(cur))
                    cur = []
                words.append(ch)
            else:
                cur.append(ch)
        if cur:
            words.append("".join(cur))
    return words


def wordpiece(word, vocab):
    """Greedy longest-match-first pieces of one word, or ["[UNK]"]."""
    if len(word) > MAX_WORD_CHARS:
        return ["[UNK]"]
    pieces, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while end > start:
            sub = word[start:end] if start == 0 else "##" + word[start:end]
            if sub in vocab:
                found = sub
                break
            end -= 1
        if found is None:
            return ["[UNK]"]
        pieces.append(found)
        start = end
    return pieces


SPECIAL_TOKENS = ["[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]"]


def split_special(text, vocab):
    """Cuts the raw text at each exact (case-sensitive) special token in the
    vocab, as PreTrainedTokenizer.tokenize does with its Trie before any
    cleaning; the special tokens do not overlap, so leftmost match it is.
    Yields (text, None) pieces and (None, token) specials."""
    specials = [t for t in SPECIAL_TOKENS if t in vocab]
    start = i = 0
    while True:
        i = text.find("[", i)
        if i < 0:
            break
        tok = next((t for t in specials if text.startswith(t, i)), None)
        if tok is None:
            i += 1
            continue
        yield text[start:i], None
        yield None, tok
        i = start = i + len(tok)
    yield text[start:], None


def encode(text, vocab, lower):
    ids = [vocab["[CLS]"]]
    for piece, special in split_special(text, vocab):
        if special is not None:
            ids.append(vocab[special])
            continue
        for w in basic_tokens(piece, lower):
            ids.extend(vocab[p] for p in wordpiece(w, vocab))
    ids.append(vocab["[SEP]"])
    return ids


def encode_file(vocab_path, lower, src, dst):
    vocab = load_vocab(vocab_path)
    with open(src, encoding="utf-8") as fin, open(dst, "w", encoding="utf-8") as fout:
        for line in fin:
            obj = json.loads(line)
            fout.write(json.dumps({"id": obj["id"], "ids": encode(obj["text"], vocab, lower)}, separators=(",", ":")) + "\n")


# ---- the fixture ----

CORPUS = """
Shares of Apple rose 3.5% on Tuesday after the company reported record quarterly revenue and raised its dividend.
The Federal Reserve held interest rates steady, but officials signalled that cuts could come later this year.
Tesla stock fell sharply as deliveries missed analyst expectations for the second consecutive quarter.
Oil prices climbed to their highest level in months amid supply concerns and falling inventories.
The bank warned of rising loan losses and lowered its guidance for net interest income.
Investors sold technology shares, sending the Nasdaq down 2 percent while bonds rallied.
Earnings beat estimates, margins improved and the board approved a new buyback programme.
Regulators opened an investigation into accounting irregularities at the retailer.
The merger was blocked by antitrust authorities, and the acquirer's shares tumbled in early trading.
Bitcoin surged above forty thousand dollars as crypto markets recovered from the selloff.
Unemployment rose unexpectedly, raising fears of a recession; yields on treasuries declined.
Strong demand for chips lifted semiconductor makers, with Nvidia and AMD leading gains.
The airline cut its outlook because of higher fuel costs and weaker bookings.
Analysts upgraded the insurer to buy, citing resilient underwriting results and solid growth.
Profit warnings, layoffs and downgrades weighed on sentiment across European markets.
Housing starts increased, mortgage applications jumped and homebuilders outperformed.
The company announced a strategic review, a chief executive departure and a lawsuit settlement.
Gold hit an all time high while the dollar weakened against the euro and the yen.
Retail sales were flat, consumer confidence slipped and inflation remained sticky.
Dividend stocks held up well; utilities and healthcare were the best performing sectors.
good bad great terrible bullish bearish buy sell hold long short rally crash gain loss up down
unaffable unbelievable underperform outperforming rebalancing restructuring refinancing
"""

# characters each given as a token and as a ## continuation
EXTRA_CHARS = (
    "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝ"
    "αβγδεζηθικλμνξοπρσςτυφχψωΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ"
    "абвгдежзийклмнопрстуфхцчшщъыьэюяАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ"
    "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
    "中国股市场银行涨跌美元日本経済の株価上昇下落"
    "€£¥¦…“”‘’–—•·©®™°±×÷ｓＡＢ！？，。"
)
EXTRA_WORDS = ["café", "Café", "déjà", "naïve", "résumé", "zürich", "Zürich", "straße", "αγορα", "μετοχες",
               "οδος", "ας", "рынок", "акции", "Москва", "москва", "иод", "سوق", "الأسهم", "http", "https",
               "www", "com", "amp", "quot", "lt", "gt", "nbsp", "aapl", "tsla", "msft", "AAPL", "TSLA", "MSFT",
               "000", "234", "56", "100", "2024", "##000", "##5", "😀", "🚀", "📉", "📈"]


def build_vocab():
    words = CORPUS.split()
    toks = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + ["[unused%d]" % i for i in range(5)]
    for c in (chr(i) for i in range(33, 127)):
        toks.append(c)
        if c.isalnum():
            toks.append("##" + c)
    for c in EXTRA_CHARS:
        toks += [c, "##" + c]
    seen_words = []
    for w in words:
        for form in (w.strip(".,;'%"), w.strip(".,;'%").lower()):
            if form and form not in seen_words:
                seen_words.append(form)
                toks.append(form)
    suffixes = set()
    for w in seen_words:
        lw = w.lower()
        for k in (2, 3, 4):
            if len(lw) > k + 2:
                toks.append(lw[:k])
                suffixes.add("##" + lw[-k:])
    toks += sorted(suffixes) + EXTRA_WORDS
    out, seen = [], set()
    for t in toks:
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


HAND_CASES = [
    "", " ", "\t\n\r", "Hello, World!", "hello world", "HELLO WORLD",
    "$AAPL up 3.5% after earnings", "$TSLA $MSFT and $aapl", "Buy $AAPL!!! 🚀🚀🚀",
    "Café Déjà vu", "naïve résumé", "nai\u0308ve", "e\u0301e\u0301", "Zu\u0308rich", "STRASSE straße ẞ",
    "中国股市", "中国股市上涨", "ab中cd", "日本の株価", "中 国", "\u4e2d\u0301", "豈更", "\U00020000x",
    "😀", "good😀", "😀 good", "📉📈", "👍🏽", "👨\u200d👩\u200d👧", "❤️ it", "☺",
    "https://example.com/path?q=1&x=2", "http://www.bank.com/news", "user@example.com", "#earnings @analyst",
    "&amp; &lt;b&gt; &quot;x&quot; &nbsp;", "AT&amp;T", "â€¦", "â€œquotedâ€\u009d", "Ã©tÃ©", "don’t",
    "1,234.56", "10,000,000", "$1.2bn", "-3.5%", "+2.1 %", "1e-5", "3/4", "12:30", "2024-05-01", "€1.234,56",
    "a" * 100, "a" * 101, "a" * 10000, "x" * 10000 + " ok", "ab" * 5000, "a." * 5000, "中" * 300,
    "a\u0001b\u007fc", "zero\u200bwidth", "soft\u00adhyphen", "bom\ufeffhere", "x\u200d\u200cy",
    "a\u00a0b", "a\u2003b", "a\u3000b", "a\u2028b\u2029c", "a\u0085b", "a\u000bb\u000cc", "tab\there",
    "line\nbreak\r\nnext", "a\ufffdb", "\ue000private", "ΟΔΟΣ", "ΑΣ", "ΑΣ.Α", "ΣΑ", "Σ", "ΑΣ'Α", "Αθήνα ΑΓΟΡΑ",
    "μετοχές", "Москва рынок", "АКЦИИ", "Йод", "ёлка", "سوق الأسهم", "مرحبا", "\u0627\u0644\u0652",
    "\u0301", "a\u0301\u0302\u0303", "\u0041\u030a", "\u212b", "\u2126", "İstanbul", "ǅ", "ﬁnance",
    "ＡＢＣ", "ＳＳ！", "１２３", "ｓａｌｅ", "，。", "x;\u037ex", "\u1fef", "a\u0338", "=\u0338",
    "<\u0338", "don't", "rock'n'roll", "U.S.A.", "e.g.", "...", "!!!", "?!", "(1)", "[sep]",
    "##s", "un##aff", "unaffable", "Unbelievable!", "outperforming", "REBALANCING", "\\n", "\"quoted\"",
    "«Guillemets»", "¿Qué?", "¡Hola!", "a–b—c", "•bullet", "©2024 ®™", "±5°", "2×3÷4", "½ ¼ ¾", "x²",
    "Ⅻ ⅻ", "ⓐⓑ", "ªº", "ß", "Ǆ", "ŉ", "ﬀ", "Ⓐ", "ꞵ", "ᾈ", "ᾳ", "ΐ", "ǰ", "\u0130\u0307",
    # literal special tokens: exact and case-sensitive, anywhere in the raw text
    "[CLS] hello [SEP]", "[CLS]", "x[MASK]y", "a[SEP]b", "[PAD][PAD]", "[UNK]ed", "[[SEP]]", "[SEP", "[CLS ]",
    "[cls]", "[Cls] [MASK]", "[MASKED]", "ΑΣ[SEP]Σ", "[SEP]\u0301", "Café[MASK]中国", "$[UNK]%",
]

FRAGMENTS = ["Apple", "apple", "STOCK", "stocks", "fell", "rose", "3.5%", "$AAPL", "$tsla", "café",
             "Déjà", "中", "国", "股市", "😀", "🚀", "&amp;", "â€¦", "1,234.56", "http://x.com/a?b=c",
             "ΟΔΟΣ", "Σ", "Москва", "Йод", "سوق", "ＡＢ", "！", "\u200b", "\u00a0", "\t", "\n", " ",
             "e\u0301", "\u0308", "\ufffd", "\u0007", "'", "-", "—", "unaffable", "underperform", "naïve",
             "x" * 50, "ab" * 30, "\u2028", "[SEP]", "[MASK]", "[cls]", "[", "]", "ß", "İ", "ǅ", "ﬁ", "…", ".", ",", ";", "@", "#", "(", ")"]


def make_cases():
    rng = random.Random(20240501)
    texts = list(HAND_CASES)
    for _ in range(160):
        n = rng.randint(1, 12)
        texts.append("".join(rng.choice(FRAGMENTS) + rng.choice(["", " ", " ", ""]) for _ in range(n)))
    return [{"id": "c%03d" % i, "text": t} for i, t in enumerate(texts)]


def make_fixture(d):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "vocab.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(build_vocab()) + "\n")
    with open(os.path.join(d, "cases.jsonl"), "w", encoding="utf-8") as f:
        for c in make_cases():
            f.write(json.dumps(c, ensure_ascii=True) + "\n")
    vocab = os.path.join(d, "vocab.txt")
    cases = os.path.join(d, "cases.jsonl")
    encode_file(vocab, True, cases, os.path.join(d, "expected_uncased.jsonl"))
    encode_file(vocab, False, cases, os.path.join(d, "expected_cased.jsonl"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("encode")
    e.add_argument("--vocab", required=True)
    e.add_argument("--cased", action="store_true")
    e.add_argument("src")
    e.add_argument("dst")
    m = sub.add_parser("make-fixture")
    m.add_argument("dir")
    a = ap.parse_args()
    if a.cmd == "encode":
        encode_file(a.vocab, not a.cased, a.src, a.dst)
    else:
        make_fixture(a.dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
