#!/usr/bin/env python3
"""Writes app/demo/feed-zh.jsonl, the Chinese feed of `finsent demo --feed zh`.

A simulated A-share trading day (Monday 2026-03-02, Beijing time, UTC+8)
of financial news headlines and investor-forum comments (股吧 / 微博 style)
about six fictional companies, written for this project from the
templates below (no text comes from ../shared/data). The companies' names
are made up and their codes sit in ranges no exchange has assigned
(609xxx in Shanghai, 004xxx in Shenzhen). Messages name a company the way
Chinese investors do: by its name inside unsegmented text (found by the
watch list of configs/demo-zh.json), by a Xueqiu tag $澜岳银行(SH609801)$,
by SH609801 or by 609801.SS.

Forum chatter runs from 08:00 to 17:00; one negative spike is planted:

  13:30-14:15  澜岳银行 (Lanyue Bank, SH609801): regulator investigation,
               trading limit down, depositors queueing

Two poison lines (invalid JSON, an empty text) show the dead-letter path.
Deterministic: the same seed gives the same file. Each line is a feed
envelope as `kcat -C -J` writes it: {"topic": "news"|"comments", "payload": "…"}.

usage: tools/make_demo_feed_zh.py [OUT]   (default app/demo/feed-zh.jsonl)
"""
import json
import random
import sys

SEED = 20260302
DAY = "2026-03-02"
rng = random.Random(SEED)

# code, name, exchange, sector
COMPANIES = [
    ("609801", "澜岳银行", "SH", "银行"),
    ("004812", "青屿科技", "SZ", "软件"),
    ("609355", "鹤溪酒业", "SH", "白酒"),
    ("004377", "朗桥汽车", "SZ", "新能源车"),
    ("609566", "霁川医药", "SH", "创新药"),
    ("004690", "宸星新能源", "SZ", "光伏"),
]
NEWS_SOURCES = ["财经速递", "证券观察", "市场快讯", "金融时评"]
BROKERS = ["岚山证券", "北辰研究", "松禾资本", "明远证券"]


def mention(c, forum):
    """The company as an investor writes it: name, Xueqiu tag, SH609801 or 609801.SS."""
    code, name, ex, _ = c
    r = rng.random()
    if not forum or r < 0.45:
        return name
    if r < 0.75:
        return "$%s(%s%s)$ " % (name, ex, code)
    if r < 0.9:
        return "%s%s " % (ex, code)
    return "%s.%s " % (code, "SS" if ex == "SH" else "SZ")


NEWS_POS = [
    "{n}年报净利润同比增长{pct}%，拟每10股派息{div}元",
    "{n}中标{num}亿元大单，订单排产至年底",
    "{broker}上调{n}目标价，维持买入评级",
    "{n}获大股东增持，彰显发展信心",
    "{n}一季度业绩预告大幅预增",
    "{n}新产品发布会反响热烈，股价盘中大涨{pct}%",
]
NEWS_NEU = [
    "{n}将于下周召开年度股东大会",
    "{n}公告董事会换届选举结果",
    "{n}披露投资者关系活动记录表",
    "{n}完成工商变更登记",
    "{broker}发布{n}调研纪要",
]
NEWS_NEG = [
    "{n}业绩不及预期，股价低开{pct}%",
    "{broker}下调{n}评级至减持",
    "{n}股东拟减持不超过{pct}%股份",
]
COMMENT_POS = [
    "{m}今天走势很强，放量突破前高，继续持有",
    "{m}业绩这么好，回调就是加仓机会，看好后市",
    "{m}稳稳的，主力资金持续流入，坚定拿住",
    "买的{m}今天又涨了，舒服",
    "{m}底部企稳了，明天有望继续反弹",
    "{m}这个位置估值很低，长线价值凸显",
]
COMMENT_NEU = [
    "{m}今天成交量一般，等等看方向",
    "有人关注{m}吗？讨论一下",
    "{m}横盘好几天了，什么时候选方向",
    "{m}明天开股东大会，大家怎么看",
]
COMMENT_NEG = [
    "{m}走势太弱了，先减仓观望",
    "{m}又跌了，套得难受",
    "{m}跌破均线，短线要小心",
]
SPIKE_NEWS = [
    "澜岳银行涉嫌违规放贷被监管部门立案调查，股价跌停",
    "澜岳银行紧急停牌前遭恐慌抛售，市值蒸发{num}亿元",
    "{broker}：澜岳银行不良贷款或被严重低估，下调评级至卖出",
    "澜岳银行多家网点出现储户排队取款，风险持续发酵",
    "澜岳银行董事长被带走调查，银行股集体重挫",
    "澜岳银行隐瞒巨额坏账遭曝光，监管约谈管理层",
]
SPIKE_COMMENTS = [
    "{m}跌停了，封单几十万手，明天还要跌，赶紧跑",
    "{m}暴雷了，立案调查，割肉离场，太惨了",
    "全仓{m}，一天亏了{pct}%，心态崩了",
    "{m}这下完了，坏账藏了这么多年，骗子银行",
    "{m}挤兑了，储户都在排队取钱，垃圾股别碰",
    "{m}连续跌停预定，散户又被收割，亏惨了",
    "{m}跌成这样还有人抄底？等着被埋吧",
]
MARKET_NEWS = [
    ("沪指窄幅震荡，两市成交额小幅放大", "comments"),
    ("北向资金加速流入，银行板块获增持", "news"),
    ("央行开展逆回购操作，市场流动性合理充裕", "news"),
    ("创业板指震荡走高，新能源板块领涨", "news"),
    ("大盘今天震荡为主，耐心等待方向选择", "comments"),
    ("两市涨停家数超过五十家，赚钱效应回暖", "news"),
]


def fill(t, c=None, forum=False):
    n = c[1] if c else ""
    return t.format(n=n, m=mention(c, forum) if c else "", pct=rng.choice([2, 3, 5, 6, 8, 10, 12, 20]),
                    div=rng.choice([1.5, 2.8, 3.2, 5.0]), num=rng.choice([12, 35, 48, 86, 120]),
                    broker=rng.choice(BROKERS)).replace("  ", " ")


def ts(minute, second):
    """Beijing time from minute 0 = 08:00, as RFC 3339 with its offset."""
    m = 8 * 60 + minute
    return "%sT%02d:%02d:%02d.%03d+08:00" % (DAY, m // 60, m % 60, second, rng.randrange(1000))


def message(n, minute, stream, text):
    m = {"id": "zh-%05d" % n, "ts": ts(minute, rng.randrange(60))}
    if stream == "news":
        m["source"] = rng.choice(NEWS_SOURCES)
        m["title"] = text
    else:
        m["source"] = "股友%04d" % rng.randrange(10000)
        m["text"] = text
    return m


# per stream: the template pools of each tone (positive, neutral, negative)
# and how often each tone is drawn
TONES = {"news": ((NEWS_POS, NEWS_NEU, NEWS_NEG), (0.40, 0.45, 0.15)),
         "comments": ((COMMENT_POS, COMMENT_NEU, COMMENT_NEG), (0.45, 0.40, 0.15))}


def background(minute):
    """Ordinary traffic: about every 6 minutes a message on each company
    (30% news, 70% forum), about every 10 one on the market."""
    out = []
    for c in COMPANIES:
        if rng.random() >= 1 / 6:
            continue
        stream = "news" if rng.random() < 0.3 else "comments"
        pools, weights = TONES[stream]
        template = rng.choice(rng.choices(pools, weights)[0])
        out.append((stream, fill(template, c, stream == "comments")))
    if rng.random() < 1 / 10:
        text, stream = rng.choice(MARKET_NEWS)
        out.append((stream, text))
    return out


def spike(minute):
    """13:30-14:15: 澜岳银行."""
    if not (330 <= minute < 375) or rng.random() >= 0.7:
        return []
    if rng.random() < 0.4:
        return [("news", fill(rng.choice(SPIKE_NEWS)))]
    return [("comments", fill(rng.choice(SPIKE_COMMENTS), COMPANIES[0], True))]


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "app/demo/feed-zh.jsonl"
    msgs = []
    for minute in range(9 * 60):
        for stream, text in background(minute) + spike(minute):
            msgs.append((stream, message(len(msgs) + 1, minute, stream, text)))
    msgs.sort(key=lambda sm: sm[1]["ts"])
    envelopes = [(stream, json.dumps(m, ensure_ascii=False)) for stream, m in msgs]
    # the poison lines, a third and two thirds of the way through
    envelopes.insert(2 * len(envelopes) // 3, ("comments", '{"id": "zh-bad-2", "ts": "%sT12:00:00+08:00", "text": "  "}' % DAY))
    envelopes.insert(len(envelopes) // 3, ("news", '{"id": "zh-bad-1", "title": "澜岳银行公告：'))
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps({"topic": t, "payload": p}, ensure_ascii=False) + "\n" for t, p in envelopes)
    print("wrote %d messages to %s" % (len(envelopes), path), file=sys.stderr)


if __name__ == "__main__":
    main()
