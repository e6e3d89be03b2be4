"""Frontline's messaging channels: WeChat Official Account (``wechat``) and the mobile-app protocol (``app``).

Both are Rasa 3.6 ``InputChannel`` subclasses, registered through credentials.yml as
``bot.channels.wechat.channel.WeChatInput`` and ``bot.channels.app.AppInput``. See docs/channels.md.
"""
