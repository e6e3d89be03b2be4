"""Hand-written cue lexicons for shop talk (zh + en): emotion cues, modifiers, risk flags.

Weights are evidence, not probabilities: 1.0 is a cue that alone makes a message clearly
that emotion ("气死我了", "furious"); 0.5 is a hint ("着急", "disappointed" is stronger).
Positive cues ("满意", "satisfied") carry label "happy"; a negator before them turns them
negative (see analyzer), which is how 不太满意 / 很不满意 / 不是不满意 differ.
"""
from __future__ import annotations

from typing import Dict, Tuple

Cue = Tuple[str, float]  # (label, weight)

ZH_CUES: Dict[str, Cue] = {
    # angry
    "投诉": ("angry", 0.8), "差评": ("angry", 0.9), "气死": ("angry", 1.0), "生气": ("angry", 0.9),
    "愤怒": ("angry", 1.0), "火大": ("angry", 1.0), "气人": ("angry", 0.9), "垃圾": ("angry", 1.0),
    "骗子": ("angry", 1.0), "骗人": ("angry", 0.9), "欺诈": ("angry", 1.0), "坑人": ("angry", 0.9),
    "黑店": ("angry", 1.0), "破服务": ("angry", 1.0), "太过分": ("angry", 0.9), "过分": ("angry", 0.7),
    "恶心": ("angry", 0.9), "无语": ("angry", 0.6), "烦死": ("angry", 0.9), "烦": ("angry", 0.5),
    # 麻烦 is a complaint only when it is not a polite request (cues._POLITE_ZH drops those)
    "麻烦": ("angry", 0.5), "麻烦死": ("angry", 0.9),
    "受够": ("angry", 1.0), "不满意": ("angry", 0.6), "不满": ("angry", 0.6), "态度差": ("angry", 0.8),
    "态度极差": ("angry", 1.0), "什么破": ("angry", 0.9), "滚": ("angry", 0.8), "讨厌": ("angry", 0.7),
    "曝光": ("angry", 0.8), "假货": ("angry", 0.8), "赖账": ("angry", 0.9), "有病": ("angry", 0.9),
    "尼玛": ("angry", 1.0), "妈的": ("angry", 1.0), "卧槽": ("angry", 0.8), "服了": ("angry", 0.6),
    "干什么吃的": ("angry", 1.0), "听不懂人话": ("angry", 1.0), "要个说法": ("angry", 0.9),
    "太差": ("angry", 0.8), "极差": ("angry", 0.9), "很差": ("angry", 0.7), "差劲": ("angry", 0.8),
    "气炸": ("angry", 1.0), "坑": ("angry", 0.6), "忽悠": ("angry", 0.8), "敷衍": ("angry", 0.8),
    "爱答不理": ("angry", 0.8), "一问三不知": ("angry", 0.8), "退钱": ("angry", 0.7),
    # swearing and exasperation, as shoppers (and everyone online) write it
    "傻逼": ("angry", 1.0), "煞笔": ("angry", 1.0), "狗逼": ("angry", 1.0), "装逼": ("angry", 0.7),
    "我靠": ("angry", 0.8), "靠!": ("angry", 0.8), "你妹": ("angry", 0.8), "贱人": ("angry", 1.0),
    "吃翔": ("angry", 0.9), "够了": ("angry", 0.6), "毁了": ("angry", 0.6), "坑爹": ("angry", 0.9),
    "奇葩": ("angry", 0.6), "神经病": ("angry", 0.9), "脑残": ("angry", 1.0), "智障": ("angry", 1.0),
    "凭什么": ("angry", 0.8), "什么鬼": ("angry", 0.7), "操蛋": ("angry", 1.0), "他妈": ("angry", 0.9),
    "tmd": ("angry", 0.9), "nmb": ("angry", 1.0), "mmp": ("angry", 1.0), "蠢": ("angry", 0.6),
    "混蛋": ("angry", 1.0), "王八蛋": ("angry", 1.0), "无耻": ("angry", 1.0), "不要脸": ("angry", 1.0),
    "呵呵": ("angry", 0.4), "醉了": ("angry", 0.5), "闹心": ("angry", 0.7), "恼火": ("angry", 0.9),
    "可恶": ("angry", 0.9), "活该": ("angry", 0.6), "鄙视": ("angry", 0.8), "凭啥": ("angry", 0.8),
    # anxious
    "着急": ("anxious", 0.7), "急死": ("anxious", 1.0), "急用": ("anxious", 0.7), "担心": ("anxious", 0.7),
    "害怕": ("anxious", 0.8), "怕": ("anxious", 0.4), "不安": ("anxious", 0.7), "焦虑": ("anxious", 0.9),
    "慌": ("anxious", 0.7), "怎么办": ("anxious", 0.5), "会不会": ("anxious", 0.4), "丢了": ("anxious", 0.6),
    "急": ("anxious", 0.5), "尽快": ("anxious", 0.4), "来得及": ("anxious", 0.4), "没底": ("anxious", 0.6),
    "紧张": ("anxious", 0.7), "万一": ("anxious", 0.4), "吓死": ("anxious", 0.9), "吓人": ("anxious", 0.7),
    "可怕": ("anxious", 0.7), "恐怖": ("anxious", 0.6), "忐忑": ("anxious", 0.9), "提心吊胆": ("anxious", 1.0),
    "睡不着": ("anxious", 0.5), "压力": ("anxious", 0.5),
    # sad
    "失望": ("sad", 0.8), "难过": ("sad", 0.9), "伤心": ("sad", 0.9), "遗憾": ("sad", 0.6),
    "可惜": ("sad", 0.5), "唉": ("sad", 0.5), "哎": ("sad", 0.3), "心累": ("sad", 0.8),
    "委屈": ("sad", 0.8), "郁闷": ("sad", 0.7), "无奈": ("sad", 0.6), "低落": ("sad", 0.8),
    "哭": ("sad", 0.7), "倒霉": ("sad", 0.6), "心塞": ("sad", 0.8), "白等": ("sad", 0.6),
    "好累": ("sad", 0.6), "太累": ("sad", 0.6), "真累": ("sad", 0.6), "累死": ("sad", 0.7), "很累": ("sad", 0.6),
    "头疼": ("sad", 0.5), "难受": ("sad", 0.8), "痛苦": ("sad", 0.9), "泪": ("sad", 0.6), "崩溃": ("sad", 0.8),
    "绝望": ("sad", 1.0), "孤独": ("sad", 0.7), "心酸": ("sad", 0.8), "想哭": ("sad", 0.9), "悲伤": ("sad", 0.9),
    "心痛": ("sad", 0.9), "可怜": ("sad", 0.5), "舍不得": ("sad", 0.4), "寂寞": ("sad", 0.7), "伤感": ("sad", 0.8),
    "难熬": ("sad", 0.8), "好惨": ("sad", 0.7), "太惨": ("sad", 0.7), "撕心裂肺": ("sad", 1.0), "心碎": ("sad", 1.0),
    # happy / positive
    "满意": ("happy", 0.7), "喜欢": ("happy", 0.7), "谢谢": ("happy", 0.5), "感谢": ("happy", 0.6),
    "好评": ("happy", 0.9), "点赞": ("happy", 0.8), "开心": ("happy", 0.9), "不错": ("happy", 0.7),
    "太好了": ("happy", 0.9), "靠谱": ("happy", 0.7), "推荐": ("happy", 0.6), "哈哈": ("happy", 0.6),
    "完美": ("happy", 0.9), "好用": ("happy", 0.7), "给力": ("happy", 0.8), "棒": ("happy", 0.8),
    "高兴": ("happy", 0.9), "解决了": ("happy", 0.6), "搞定": ("happy", 0.5), "回购": ("happy", 0.7),
    "幸福": ("happy", 0.9), "快乐": ("happy", 0.9), "美好": ("happy", 0.7), "爱你": ("happy", 0.7),
    "好开心": ("happy", 1.0), "期待": ("happy", 0.5), "哈哈哈": ("happy", 0.8), "嘻嘻": ("happy", 0.7),
    "么么哒": ("happy", 0.8), "感恩": ("happy", 0.8), "恭喜": ("happy", 0.8), "好吃": ("happy", 0.6),
}

EN_CUES: Dict[str, Cue] = {
    "angry": ("angry", 1.0), "furious": ("angry", 1.0), "mad": ("angry", 0.7), "outrageous": ("angry", 1.0),
    "ridiculous": ("angry", 0.9), "unacceptable": ("angry", 1.0), "terrible": ("angry", 0.8),
    "worst": ("angry", 0.9), "awful": ("angry", 0.8), "horrible": ("angry", 0.8), "useless": ("angry", 0.8),
    "scam": ("angry", 1.0), "scammers": ("angry", 1.0), "rip-off": ("angry", 1.0), "rip off": ("angry", 1.0),
    "garbage": ("angry", 0.9), "pathetic": ("angry", 0.9), "disgusting": ("angry", 1.0), "hate": ("angry", 0.8),
    "sick and tired": ("angry", 1.0), "fed up": ("angry", 1.0), "wtf": ("angry", 1.0), "joke": ("angry", 0.5),
    "complaint": ("angry", 0.7), "dissatisfied": ("angry", 0.7), "annoyed": ("angry", 0.7),
    "never again": ("angry", 0.8), "fake": ("angry", 0.7), "liar": ("angry", 1.0), "lied": ("angry", 0.8),
    "crap": ("angry", 0.9), "damn": ("angry", 0.7), "pissed": ("angry", 1.0), "bullshit": ("angry", 1.0),
    "worried": ("anxious", 0.8), "worry": ("anxious", 0.6), "nervous": ("anxious", 0.8), "anxious": ("anxious", 0.9),
    "afraid": ("anxious", 0.7), "scared": ("anxious", 0.8), "urgent": ("anxious", 0.7), "urgently": ("anxious", 0.7),
    "asap": ("anxious", 0.6), "hurry": ("anxious", 0.6), "stressed": ("anxious", 0.8), "concerned": ("anxious", 0.6),
    "is it lost": ("anxious", 0.7), "still waiting": ("anxious", 0.5), "panicking": ("anxious", 1.0),
    "sad": ("sad", 0.9), "disappointed": ("sad", 0.8), "disappointing": ("sad", 0.8), "upset": ("sad", 0.7),
    "unfortunately": ("sad", 0.5), "pity": ("sad", 0.5), "too bad": ("sad", 0.5), "let down": ("sad", 0.8),
    "heartbroken": ("sad", 1.0), "sigh": ("sad", 0.5), "cried": ("sad", 0.7), "ruined": ("sad", 0.7),
    "happy": ("happy", 0.8), "satisfied": ("happy", 0.7), "great": ("happy", 0.7), "love": ("happy", 0.7),
    "thanks": ("happy", 0.5), "thank": ("happy", 0.5), "awesome": ("happy", 0.9), "excellent": ("happy", 0.9),
    "perfect": ("happy", 0.8), "amazing": ("happy", 0.9), "good": ("happy", 0.5), "fine": ("happy", 0.3),
    "recommend": ("happy", 0.6), "glad": ("happy", 0.8), "wonderful": ("happy", 0.9), "lol": ("happy", 0.4),
    "unhappy": ("sad", 0.7),
}

# Emoji carry emotion in both languages; matched on characters.
EMOJI_CUES: Dict[str, Cue] = {
    "😡": ("angry", 1.0), "🤬": ("angry", 1.0), "😠": ("angry", 0.9), "💢": ("angry", 0.8), "👎": ("angry", 0.6),
    "😢": ("sad", 0.8), "😭": ("sad", 0.9), "😞": ("sad", 0.7), "💔": ("sad", 0.8), "😔": ("sad", 0.6),
    "😰": ("anxious", 0.8), "😟": ("anxious", 0.7), "😱": ("anxious", 0.7), "😨": ("anxious", 0.8),
    "😊": ("happy", 0.8), "😀": ("happy", 0.7), "😄": ("happy", 0.8), "😂": ("happy", 0.5), "👍": ("happy", 0.7),
    "❤": ("happy", 0.7), "🥰": ("happy", 0.9), "🎉": ("happy", 0.8), "😁": ("happy", 0.7),
}

# "信号很差" reports a fault (the troubleshooting flows' symptoms), not how the shopper feels:
# a "poor" cue whose subject is one of these says nothing about emotion.
ZH_POOR_CUES = ("很差", "太差", "极差", "差劲")
ZH_FAULT_SUBJECTS = ("信号", "网速", "网络", "网", "wifi", "wi-fi", "连接", "续航", "音质", "画质",
                     "电池", "散热", "充电")
EN_POOR_CUES = ("terrible", "awful", "horrible", "useless")
EN_FAULT_SUBJECTS = ("wifi", "wi-fi", "signal", "connection", "internet", "network", "speed",
                     "reception", "battery", "sound", "picture")

# Modifiers, looked up in the few characters/tokens right before a cue.
ZH_NEGATORS = ("不是", "并不", "并没有", "没有", "不", "没", "别", "无", "非", "未")
ZH_WEAKENERS = ("不太", "不怎么", "不是很", "不是太", "不够", "有点", "有些", "稍微", "略", "一点")
ZH_INTENSIFIERS = ("非常", "特别", "十分", "极其", "超级", "太", "很", "超", "真", "好", "极", "巨", "最", "死")
EN_NEGATORS = ("not", "n't", "never", "no", "hardly", "without")
EN_WEAKENERS = ("a bit", "slightly", "kind of", "kinda", "somewhat", "a little", "not very", "not that")
EN_INTENSIFIERS = ("very", "so", "really", "extremely", "totally", "absolutely", "super", "completely", "fucking")

# Risk flags: phrase lists per flag (matched with the same PhraseMatcher machinery).
RISK_PHRASES: Dict[str, Tuple[str, ...]] = {
    "complaint_threat": ("投诉", "举报", "告你们", "曝光", "找媒体", "上微博", "complaint", "complain",
                         "report you", "reporting you", "file a complaint", "filing a complaint"),
    "consumer_association_12315": ("12315", "消协", "消费者协会", "工商局", "市场监管", "市场监督管理局",
                                   "consumer protection", "consumer association", "better business bureau", "bbb"),
    "bad_review": ("差评", "一星", "给差评", "打差评", "negative review", "bad review", "one star",
                   "one-star", "1 star", "1-star"),
    "refund_demand": ("退款", "退钱", "退货退款", "把钱退", "refund", "money back"),
    "chargeback": ("拒付", "撤销交易", "申请拒付", "银行追回", "chargeback", "charge back", "dispute the charge",
                   "dispute with my bank", "dispute the payment"),
    "legal_threat": ("律师", "起诉", "法院", "告你", "报警", "打官司", "法律责任", "lawyer", "attorney", "sue",
                     "lawsuit", "legal action", "court", "police"),
    "competitor": ("京东", "淘宝", "拼多多", "天猫", "别家", "别的店", "其他店", "再也不买", "再也不会在",
                   "amazon", "walmart", "another shop", "another store", "shop elsewhere", "never ordering",
                   "never buy from", "never shopping"),
}
