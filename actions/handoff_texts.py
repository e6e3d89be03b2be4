"""What action_handoff tells the shopper, in Chinese and English (placeholders from the service)."""
from __future__ import annotations

from typing import Dict

TEXTS: Dict[str, Dict[str, str]] = {
    "queued_next": {
        "zh": "已为您转接人工客服,您是下一位,预计{wait}分钟内接入。客服会看到我们之前的全部对话,您无需重复;等待期间也可以继续留言。",
        "en": "I'm connecting you with an agent: you're next in line, expected wait under {wait} minutes. They'll see our whole conversation, so you won't need to repeat anything; feel free to keep writing meanwhile.",
    },
    "queued": {
        "zh": "已为您转接人工客服,您前面还有{ahead}位,预计等待约{wait}分钟。客服会看到我们之前的全部对话,您无需重复;等待期间也可以继续留言。",
        "en": "I'm connecting you with an agent: {ahead} people are ahead of you, expected wait about {wait} minutes. They'll see our whole conversation, so you won't need to repeat anything; feel free to keep writing meanwhile.",
    },
    "no_agents": {
        "zh": "已为您转接人工客服。目前暂时没有客服在线,您的请求已排队,客服上线后会第一时间在这里回复您;我们之前的对话他们都能看到,您无需重复,也可以继续留言补充。",
        "en": "I've passed your request to our agents. Nobody is online this very moment, so you're in the queue and the first agent to come online will answer here; they'll see our whole conversation, and you can keep adding details meanwhile.",
    },
    "closed": {
        "zh": "现在是非工作时间(人工客服服务时间:{days} {open}-{close})。您的问题已转给人工客服,他们会在{when}上线后第一时间在这里回复您,您可以继续留言补充。",
        "en": "Our agents are offline right now (hours: {days}, {open}-{close}). Your request is with them and they'll answer here {when}, when they're back; you can keep adding details meanwhile.",
    },
    "service_down": {
        "zh": "抱歉,人工客服系统暂时连接不上。您的转接请求已保存,系统恢复后会自动为您排队,客服会在这里回复您。",
        "en": "Sorry, our agent system can't be reached right now. Your request is saved and will join the queue automatically as soon as it's back; an agent will answer here.",
    },
    "failed": {
        "zh": "抱歉,人工客服系统暂时无法连接,您的转人工请求没能提交。请稍后再说\"转人工\"重试,人工服务时间为{days} {open}-{close}。",
        "en": "Sorry, our agent system can't be reached and your request could not be saved. Please say \"human agent\" again in a little while; our agents work {days}, {open}-{close}.",
    },
    "today": {"zh": "今天{time}", "en": "today at {time}"},
    "tomorrow": {"zh": "明天{time}", "en": "tomorrow at {time}"},
    "on_date": {"zh": "{date} {time}", "en": "on {date} at {time}"},
}


def text(name: str, language: str, **values: object) -> str:
    entry = TEXTS[name]
    return entry.get(language, entry["zh"]).format(**values)
