"""How a device session reads in the chatter and in its attachment.

Odoo's mail layer folds every text line that starts with ``>`` (a quoted
e-mail) and a lone ``--`` line (a signature) behind "Read More", and the
chatter column wraps long device tables.  A transcript is therefore rendered
as a table: one row per line, a marker cell telling a command from an answer
or a note, never a leading ``>`` in any cell, and the table in a block that
scrolls sideways (static/src/scss/transcript.scss) instead of wrapping.
"""

import re

from markupsafe import Markup
from odoo import _, _lt, fields

#: CSS classes of the rows, one per entry kind (static/src/scss/transcript.scss)
ROW_CLASS = {"send": "o_silver_tx_send", "recv": "o_silver_tx_recv", "note": "o_silver_tx_note"}
#: the keys of the drivers' results (drivers/models.py, drivers/mikrotik.py), for people and translated
RESULT_LABELS = {
    "pon": _lt("PON port"),
    "onu_id": _lt("ONU ID"),
    "serial": _lt("serial"),
    "admin_state": _lt("admin state"),
    "run_state": _lt("run state"),
    "rx_power_dbm": _lt("RX power (dBm)"),
    "tx_power_dbm": _lt("TX power (dBm)"),
    "olt_rx_power_dbm": _lt("RX power at the OLT (dBm)"),
    "description": _lt("description"),
    "model": _lt("model"),
    "distance_m": _lt("distance (m)"),
    "last_down_cause": _lt("last down cause"),
    "service_ports": _lt("service ports"),
    "onu_existed": _lt("ONU already registered"),
    "preexisting": _lt("found on the device"),
    "created": _lt("created"),
    "changed": _lt("changed"),
    "removed": _lt("removed"),
    "method": _lt("method"),
}
#: what marks each kind of line: an arrow out (command), an arrow in (answer), a bullet (note)
ROW_MARK = {"send": "\u2192", "recv": "\u2190", "note": "\u2022"}


class TranscriptRenderer:
    """Renders transcripts and results in the language of ``env`` (Odoo's ``_`` reads it from ``self.env``)."""

    def __init__(self, env, masker=None):
        self.env = env
        #: hides the login in what a device answered; our own words (a result's labels) are left
        #: alone, or the mask would turn 'admin state' into '[login] state' and tell the login
        self.mask = masker or (lambda text: text)

    @staticmethod
    def transcript_rows(entries, masker):
        """[(kind, text, elapsed_ms or None)] of ``entries``, one per line, masked."""
        rows = []
        for entry in entries:
            text = masker(entry.text or "") if masker else entry.text or ""
            lines = text.rstrip().splitlines() or [""]
            for index, line in enumerate(lines):
                # The time the device took belongs to its answer's first line only.
                elapsed = round(entry.elapsed * 1000) if entry.kind == "recv" and index == 0 else None
                rows.append((entry.kind, line.rstrip(), elapsed))
        return rows

    def _row_html(self, kind, text, elapsed):
        shown = text if text.strip() else (_("(no output)") if kind == "recv" else "")
        timing = _("%s ms", elapsed) if elapsed is not None else ""
        return Markup(
            '<tr class="{cls}"><td class="o_silver_tx_mark">{mark}</td>'
            '<td class="o_silver_tx_text"><code>{text}</code></td>'
            '<td class="o_silver_tx_ms">{timing}</td></tr>'
        ).format(cls=ROW_CLASS.get(kind, "o_silver_tx_note"), mark=ROW_MARK.get(kind, ""), text=shown, timing=timing)

    def render_rows(self, rows):
        """The rows as an HTML table in a sideways-scrolling block (empty Markup for no rows)."""
        if not rows:
            return Markup()
        body = Markup("").join(self._row_html(*row) for row in rows)
        return Markup(
            '<div class="o_silver_transcript"><table class="o_silver_tx_table"><tbody>{}</tbody></table></div>'
        ).format(body)

    @staticmethod
    def plain_text(rows):
        """The rows as the attachment's text: the same markers as the chatter, no ``>`` quoting."""
        out = []
        for kind, text, elapsed in rows:
            suffix = f"  [{elapsed} ms]" if elapsed is not None else ""
            out.append(f"{ROW_MARK.get(kind, '')} {text}{suffix}".rstrip())
        return "\n".join(out)

    def _words(self, value):
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if isinstance(value, float):
            return f"{value:.2f}"
        if isinstance(value, (list, tuple, set)):
            return ", ".join(self._words(item) for item in value)
        if isinstance(value, dict):
            return self.dict_in_words(value)
        return self.mask(str(value))

    def _label(self, key):
        # An instance method: str() of a lazy term reads the language from this frame's self.env.
        label = RESULT_LABELS.get(key)
        return str(label) if label is not None else str(key).replace("_", " ")

    def dict_in_words(self, data):
        """A driver's result mapping as a sentence (a router answer is a dict: never shown as Python text)."""
        data = {key: value for key, value in data.items() if value not in (None, "", [], {})}
        if "created" in data and isinstance(data["created"], bool):
            name = self.mask(str(data.get("name") or data.get("user") or ""))
            head = _("%s created", name).strip() if data["created"] else _("%s was already there, kept", name).strip()
            rest = {key: value for key, value in data.items() if key not in ("created", "name", "user")}
            return "; ".join([head, *(f"{self._label(key)}: {self._words(value)}" for key, value in rest.items())])
        return "; ".join(f"{self._label(key)}: {self._words(value)}" for key, value in data.items())

    def result_in_words(self, data):
        """What an operation returned, for people."""
        if data is None:
            return _("done")
        if isinstance(data, dict):
            return self.dict_in_words(data) or _("done")
        if isinstance(data, list):
            return _("%s item(s)", len(data))
        if hasattr(data, "to_dict"):
            return self.dict_in_words(data.to_dict()) or _("done")
        if isinstance(data, bool):
            return _("done") if data else _("nothing to do")
        return self.mask(str(data))

    def attachment_name(self, record, operation, when=None):
        """'<record> - <operation> - <YYYY-MM-DD HHMMSS>.txt': a technician finds the session by these."""
        when = when or fields.Datetime.now()
        stamp = fields.Datetime.to_datetime(when).strftime("%Y-%m-%d %H%M%S")
        name = f"{record.display_name} - {operation} - {stamp}"
        # A file name keeps no path separator nor a character file systems refuse.
        return re.sub(r'[\\/:*?"<>|\r\n]+', "-", name) + ".txt"

    def outcome_words(self, outcome, left=()):
        """What a failed operation left on the device, in words, from its ``outcome``."""
        if outcome == "unchanged":
            return _("Nothing was changed on the device.")
        if outcome == "undone":
            return _("What it had changed on the device was undone.")
        if outcome == "left":
            if left:
                return _("Left on the device: %s", "; ".join(left))
            return _("The device may be left half-configured: check the transcript.")
        return _("Whether the device was changed is not known: check the transcript.")
