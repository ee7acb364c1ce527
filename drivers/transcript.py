"""The record of a device session: every command sent and every response.

Secrets are masked when an entry is recorded, not when it is shown, so no
copy of the transcript (log, chatter message, exception text, JSON output)
can ever hold one.
"""

import logging
import re
import time
import weakref
from dataclasses import dataclass

MASK = "********"

# Keywords after which devices and our own commands carry a secret, whatever
# its value: a safety net for secrets the caller did not declare.
_SECRET_AFTER_KEYWORD = re.compile(
    r"(?P<kw>\b(?:password|pwd|shared_key|secret|user-password|(?<!host )(?<!host-)key)\b[ =:]+)"
    r"(?P<q>\"?)(?P<value>[^\s\"]+)(?P=q)",
    re.IGNORECASE,
)
_KEYWORD_EXCEPTIONS = {"wpa2-psk", "wpa-psk", "aes", "tkipaes"}


class Masker:
    """Replaces known secret values, and any value following a secret keyword."""

    def __init__(self, secrets=()):
        self._secrets = set()
        self._wrapped = []
        for secret in secrets:
            self.add(secret)
        _LIVE.add(self)

    def add(self, secret):
        # Very short values would mask ordinary words ('1', 'on'): the keyword
        # rule still covers them where a device echoes them after 'password'.
        if secret and len(str(secret)) >= 3:
            secret = str(secret)
            if secret not in self._secrets and len(secret) > _WRAP_PIECE:
                self._wrapped.append((secret[:_WRAP_PIECE], secret[-_WRAP_PIECE:], _wrapped_pieces(secret)))
            self._secrets.add(secret)

    def __call__(self, text):
        if not text:
            return text
        # Longest first, so a secret containing another is masked whole.
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        for head, tail, pieces in self._wrapped:
            # Every piece starts like the secret or ends like it: most texts
            # hold neither, and skip the search.
            if head in text or tail in text:
                text = pieces.sub(lambda match: (match.group("indent") or "") + MASK, text)

        def _keyword(match):
            if match.group("value").lower() in _KEYWORD_EXCEPTIONS:
                return match.group(0)
            return f"{match.group('kw')}{match.group('q')}{MASK}{match.group('q')}"

        return _SECRET_AFTER_KEYWORD.sub(_keyword, text)


#: a device that wraps a long line cuts a secret in two; pieces this long or
#: longer at a line's end or start are masked (shorter ones would hit words)
_WRAP_PIECE = 4


def _wrapped_pieces(secret):
    """The two halves a line wrap can leave: a head at a line's end, a tail at
    the start of the next line (after its indentation)."""
    heads = [re.escape(secret[:n]) for n in range(len(secret) - 1, _WRAP_PIECE - 1, -1)]
    tails = [re.escape(secret[-n:]) for n in range(len(secret) - 1, _WRAP_PIECE - 1, -1)]
    return re.compile(
        r"(?:" + "|".join(heads) + r")(?=[ \t]*\r?$)|(?<![^\n])(?P<indent>[ \t]*)(?:" + "|".join(tails) + r")",
        re.MULTILINE,
    )


#: every Masker alive: the logging filter masks library debug lines with them
_LIVE = weakref.WeakSet()


class LibrarySecretFilter(logging.Filter):
    """Netmiko, paramiko and librouteros log what they write at DEBUG level
    (a ``wan-ip ... password`` line, an API ``=password=`` word): masked with
    every live driver's secrets before any handler sees it."""

    def filter(self, record):
        maskers = list(_LIVE)
        if maskers:
            text = record.getMessage()
            for masker in maskers:
                text = masker(text)
            record.msg, record.args = text, ()
        return True


def install_library_filter(names=("netmiko", "paramiko", "librouteros")):
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(item, LibrarySecretFilter) for item in logger.filters):
            logger.addFilter(LibrarySecretFilter())


@dataclass
class Entry:
    at: float  # wall clock, seconds since the epoch
    elapsed: float  # seconds the device took to answer (0 for notes)
    kind: str  # 'send' | 'recv' | 'note'
    text: str

    def to_dict(self):
        return {"at": round(self.at, 3), "elapsed": round(self.elapsed, 3), "kind": self.kind, "text": self.text}


class Transcript:
    """Ordered, masked entries of one session."""

    def __init__(self, masker=None):
        self.masker = masker or Masker()
        self.entries = []

    def mask(self, text):
        return self.masker(text)

    def send(self, command):
        self.entries.append(Entry(time.time(), 0.0, "send", self.mask(command)))

    def receive(self, response, elapsed):
        self.entries.append(Entry(time.time(), elapsed, "recv", self.mask(response)))

    def note(self, text):
        self.entries.append(Entry(time.time(), 0.0, "note", self.mask(text)))

    def commands(self):
        return [entry.text for entry in self.entries if entry.kind == "send"]

    def to_list(self):
        return [entry.to_dict() for entry in self.entries]

    def to_text(self, start=0):
        """Readable form for a chatter message or a terminal: '> cmd' then the
        answer; from entry ``start`` on (one operation of a longer session)."""
        lines = []
        for entry in self.entries[start:]:
            if entry.kind == "send":
                lines.append(f"> {entry.text}")
            elif entry.kind == "recv":
                lines.append(f"{entry.text.rstrip()}  [{entry.elapsed * 1000:.0f} ms]")
            else:
                lines.append(f"# {entry.text}")
        return "\n".join(lines)

    def __len__(self):
        return len(self.entries)
