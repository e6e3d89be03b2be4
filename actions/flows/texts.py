"""The engine's own words (the flow files hold everything flow-specific)."""
from __future__ import annotations

from common.flows.model import Bilingual

INTRO = Bilingual("好的,我来一步步帮您排查「{title}」。每一步做完告诉我结果就行。",
                  "OK, let's fix \"{title}\" step by step. Just tell me how each step goes.")
SWITCH = Bilingual("好的,先放下刚才的排查,我们来看「{title}」。",
                   "All right, let's leave the previous troubleshooting and look at \"{title}\".")
NOT_UNDERSTOOD = Bilingual("抱歉,我没看明白您的结果。请点下面的按钮,或直接回复:{labels}。",
                           "Sorry, I couldn't tell how that went. Please tap a button below or reply: {labels}.")
STILL_ON_STEP = Bilingual("我们正在排查这个问题,先完成这一步吧:", "We're already working on this one. Let's finish this step first:")
STALE_BUTTON = Bilingual("那个按钮属于之前的步骤,我们现在在这一步:", "That button belongs to an earlier step. We're now at this step:")
UNKNOWN_OPTION = Bilingual("抱歉,这个选项无效。请从下面的按钮中选择:", "Sorry, that option isn't valid. Please choose one of the buttons below:")
NO_FLOW = Bilingual("这个排查已经结束了。如果问题还在,请再描述一下遇到的情况。",
                    "That troubleshooting has already finished. If the problem is still there, please describe it again.")
BACK_TO_STEP = Bilingual("我们继续刚才的排查:", "Back to where we were:")
RESUME_OFFER = Bilingual("上次我们在排查「{title}」,进行到这一步:「{step}」。要从这里继续吗?",
                         "Last time we were troubleshooting \"{title}\" and got to: \"{step}\". Shall we continue from there?")
WELCOME_BACK = Bilingual("您好,欢迎回来!", "Hi, welcome back!")
RESUME = Bilingual("继续", "Continue")
RESTART = Bilingual("重新开始", "Start over")
STOP = Bilingual("不用了", "No, thanks")
CANCELLED = Bilingual("好的,已停止排查。如果之后还需要帮助,随时告诉我,我可以从头再带您排查。",
                      "OK, I've stopped the troubleshooting. If you need help later, just tell me and we can go through it again.")
NOTHING_TO_CANCEL = Bilingual("好的。还有其他可以帮您的吗?", "OK. Is there anything else I can help with?")
DROPPED = Bilingual("好的,那就不继续了。还有其他可以帮您的吗?", "OK, we'll leave it there. Is there anything else I can help with?")
RESOLVED = Bilingual("太好了,问题已经解决!", "Great, the problem is solved!")
ESCALATE = Bilingual("抱歉,这些步骤没能解决问题。我会把您已经尝试过的步骤一并转给人工客服,您不用再重复说明。",
                     "Sorry, these steps didn't fix it. I'm passing everything you've tried to a colleague, so you won't have to repeat yourself.")
CSAT_ASK = Bilingual("能为这次排查服务打个分吗?1 分最不满意,5 分最满意。",
                     "Could you rate this troubleshooting from 1 (poor) to 5 (excellent)?")
VIDEO = Bilingual("▶ 视频演示:{url}", "▶ Video: {url}")
