"""The Spanish translation: complete, well-formed, and what users actually see."""

import re
from pathlib import Path

from odoo.exceptions import UserError
from odoo.tests import TransactionCase, tagged
from odoo.tools.translate import PoFileReader, TranslationModuleReader

from ..models.silver_provisioning_transcript_render import TranscriptRenderer

MODULE = "silver_provisioning"
PO_FILE = Path(__file__).resolve().parent.parent / "i18n" / "es.po"
#: %s, %(name)s and friends: a translation that drops or renames one breaks the message at run time
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[sdrf]")


@tagged("post_install", "-at_install")
class TestSpanishTranslation(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with PO_FILE.open("rb") as handle:
            cls.entries = list(PoFileReader(handle))
        cls.translations = {entry["src"]: entry["value"] for entry in cls.entries}
        cls.env["res.lang"]._activate_lang("es_ES")
        cls.env["ir.module.module"]._load_module_terms([MODULE], ["es_ES"], overwrite=True)
        cls.env_es = cls.env(context=dict(cls.env.context, lang="es_ES"))

    def test_every_string_of_the_module_is_translated(self):
        """Each term Odoo would export for the module (code, fields, views, data) has a Spanish text."""
        sources = {row[4] for row in TranslationModuleReader(self.env.cr, modules=[MODULE]) if row[4]}
        self.assertGreater(len(sources), 100, "the exporter found suspiciously few terms")
        missing = sorted(source for source in sources if not self.translations.get(source))
        self.assertFalse(missing, f"{len(missing)} strings have no Spanish translation in i18n/es.po: {missing[:20]}")

    def test_placeholders_survive_translation(self):
        for source, value in self.translations.items():
            if value:
                self.assertEqual(
                    sorted(PLACEHOLDER.findall(source)),
                    sorted(PLACEHOLDER.findall(value)),
                    f"placeholders differ between {source!r} and {value!r}",
                )

    def test_labels_selections_and_menus_in_spanish(self):
        olt_fields = self.env_es["silver.olt"].fields_get(["platform", "host_key_fingerprint"])
        self.assertEqual(olt_fields["platform"]["string"], "Plataforma")
        self.assertEqual(olt_fields["host_key_fingerprint"]["string"], "Clave de host SSH fijada")
        core_fields = self.env_es["silver.core"].fields_get(["suspend_method"])
        methods = dict(core_fields["suspend_method"]["selection"])
        self.assertEqual(methods["disable_secret"], "Deshabilitar el secret PPPoE")
        menu = self.env_es.ref(f"{MODULE}.menu_silver_provisioning")
        self.assertEqual(menu.name, "Aprovisionamiento")
        group = self.env_es.ref(f"{MODULE}.group_provisioning_technician")
        self.assertEqual(group.name, "Técnico de aprovisionamiento")

    def test_buttons_in_spanish(self):
        olt_form = self.env_es["silver.olt"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('string="Descubrir ONU"', olt_form)
        contract_form = self.env_es["silver.contract"].get_views([(False, "form")])["views"]["form"]["arch"]
        for label in ("Activar", "Suspender", "Reconectar"):
            self.assertIn(f'string="{label}"', contract_form)

    def test_error_message_in_spanish(self):
        """An operator working in Spanish reads the refusal in Spanish."""
        partner = self.env["res.partner"].create({"name": "Cliente de prueba"})
        contract = self.env["silver.contract"].create({"name": "CT-ES-1", "partner_id": partner.id})
        with self.assertRaises(UserError) as caught:
            contract.with_context(lang="es_ES").action_activate_service()
        message = str(caught.exception)
        self.assertIn("primero complete", message)
        self.assertIn("OLT", message)

    def test_driver_reason_in_spanish(self):
        """The drivers write English; a Spanish user reads their reason in Spanish, with the field's label."""
        olt = self.env["silver.olt"].search([], limit=1) or self.env["silver.olt"].create(
            {"name": "OLT ES", "ip": "127.0.0.1", "platform": "vsol"}
        )
        olt.platform = olt.platform or "vsol"
        with self.assertRaises(UserError) as caught:
            olt.with_context(lang="es_ES").sudo().action_sync_olt_manual("vlan", {"vlan": 5000})
        message = str(caught.exception)
        self.assertIn("5000 está fuera del rango 1..4094", message)
        self.assertNotIn("out of range", message)

    def test_result_words_in_spanish(self):
        """A driver's result in the chatter: its labels are words of the user's language, not Python keys."""
        words = TranscriptRenderer(self.env_es).dict_in_words(
            {"pon": "0/2", "onu_id": 1, "admin_state": "enabled", "rx_power_dbm": -25.78}
        )
        self.assertEqual(
            words, "puerto PON: 0/2; ID de ONU: 1; estado administrativo: enabled; potencia RX (dBm): -25.78"
        )
        english = TranscriptRenderer(self.env).dict_in_words({"rx_power_dbm": -25.78, "distance_m": 1200})
        self.assertEqual(english, "RX power (dBm): -25.78; distance (m): 1200")

    def test_device_failure_outcome_in_spanish(self):
        from ..models.silver_provisioning_transcript_render import TranscriptRenderer

        render = TranscriptRenderer(self.env_es)
        self.assertEqual(render.outcome_words("unchanged"), "No se cambió nada en el equipo.")
        self.assertEqual(render.result_in_words({"name": "pepe", "created": True}), "pepe creado")

    def test_driver_reason_inside_an_operation_in_spanish(self):
        from ..drivers.errors import InvalidInput

        words = self.env_es["silver.contract"]._device_error_words(
            InvalidInput("wan.vlan", "5000 is out of range 1..4094")
        )
        self.assertEqual(words, "wan.vlan: 5000 está fuera del rango 1..4094")
        english = (
            self.env["silver.contract"]
            .with_context(lang="en_US")
            ._device_error_words(InvalidInput("wan.vlan", "5000 is out of range 1..4094"))
        )
        self.assertEqual(english, "wan.vlan: 5000 is out of range 1..4094")
