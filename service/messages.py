"""
messages.py
-----------

Error messages that exist in English and Vietnamese. A `Message` *is* its
English text (a `str`), so logs, stored job errors and every caller that
treats a message as text are unchanged; the API's error handlers ask it for
`render(lang)` when the client prefers Vietnamese. The wording of both
languages lives in `message_text.py`, one entry per message.
"""

from __future__ import annotations

from service.message_text import TEXT

LANGS = ("en", "vi")


class Message(str):
    """An error message by key, with the values it names, rendered in English by default."""

    key: str
    params: dict

    def __new__(cls, key: str, /, **params: object) -> Message:
        self = super().__new__(cls, TEXT[key]["en"].format(**params))
        self.key = key
        self.params = params
        return self

    def render(self, lang: str) -> str:
        """The message in `lang` ("en" or "vi"); English where `lang` is unknown."""
        template = TEXT[self.key].get(lang)
        return template.format(**self.params) if template else str(self)

    def __reduce__(self):
        # job runners pickle errors across processes: keep the key, not only the text
        return (_rebuild, (self.key, self.params))


def _rebuild(key: str, params: dict) -> Message:
    return Message(key, **params)


def render(message: str, lang: str) -> str:
    """Any message in `lang`: a Message is translated, plain text is returned as it is."""
    return message.render(lang) if isinstance(message, Message) else message


def replace_in(message: str, old: str, new: str) -> str:
    """`message` with `old` replaced by `new` in its text, still a Message (with its values changed) if it was one."""
    if not isinstance(message, Message):
        return message.replace(old, new)
    return Message(message.key, **{k: v.replace(old, new) if isinstance(v, str) else v
                                   for k, v in message.params.items()})


def keys_of(messages: list[str]) -> list[dict | None]:
    """What a manifest keeps beside its English warnings: each Message's key and values (None for plain text)."""
    return [{"key": m.key, "params": m.params} if isinstance(m, Message) else None for m in messages]


def localise(texts: list[str], keys: list | None, lang: str) -> list[str]:
    """Stored messages in `lang`: rebuilt from their keys where the table still has them, else as stored."""
    out = []
    for i, text in enumerate(texts):
        entry = keys[i] if isinstance(keys, list) and i < len(keys) else None
        try:
            key, params = (entry["key"], entry["params"]) if entry else (None, None)
            out.append(Message(key, **params).render(lang) if key else text)
        except (KeyError, TypeError, ValueError, IndexError):  # a key or value an older version wrote
            out.append(text)
    return out


def error_lang(request) -> str:
    """The language of an API error: Vietnamese when the client's Accept-Language prefers it, else English."""
    # the client's order decides a tie ("vi,en" is Vietnamese), which best_match would give to ours
    for tag, quality in request.accept_languages:
        primary = tag.split("-")[0].lower()
        if primary in LANGS and quality > 0:
            return primary
    return "en"
