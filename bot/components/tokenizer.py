"""Jieba word segmentation for mixed Chinese/English shop talk.

Rasa's JiebaTokenizer keeps the spaces between English words as tokens (jieba.tokenize
returns them) and declares itself Chinese-only. This tokenizer drops whitespace tokens,
so "where is my order" and "我的order到哪了" both yield clean word tokens, and runs for
any configured language because one pipeline serves both.
"""
from __future__ import annotations

from typing import List, Optional, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True
)
class MixedTokenizer(JiebaTokenizer):
    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        return None

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        import jieba

        text = message.get(attribute) or ""
        tokens = [
            Token(word, start)
            for (word, start, _end) in jieba.tokenize(text)
            if word.strip()
        ]
        return self._apply_token_pattern(tokens)
