/** @odoo-module **/
/**
 * A device failure seen by an operator: Odoo's warning dialog with the device's
 * words and what was done, never the traceback dialog.  (The chatter's reload is
 * not checked here: under HttpCase every request shares one transaction, so the
 * log committed apart is rolled back with the failed request.)
 * One tour per language: the words checked are the ones each user reads.
 */
import { registry } from "@web/core/registry";

function deviceFailureSteps(texts) {
    return [
        {
            content: "Activate the contract whose OLT does not answer",
            trigger: ".o_form_view button[name='action_activate_service']",
            run: "click",
        },
        {
            content: "Confirm the activation",
            trigger: ".modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "Odoo's warning dialog, titled for a device failure",
            trigger: `.modal-title:contains('${texts.title}')`,
            isCheck: true,
        },
        {
            content: "The dialog says what was done on the device",
            trigger: `.o_error_dialog:contains('${texts.outcome}')`,
            isCheck: true,
        },
        {
            content: "No traceback, no 'report it to your support service' dialog",
            trigger: ".o_error_dialog:not(:has(.o_error_detail)):not(:contains('Traceback'))",
            isCheck: true,
        },
        {
            content: "Close the dialog",
            trigger: ".o-default-button",
            run: "click",
        },
        {
            content: "Back on the contract, nothing activated",
            trigger: "body:not(:has(.modal)) .o_form_view button[name='action_activate_service']",
            isCheck: true,
        },
    ];
}

registry.category("web_tour.tours").add("silver_provisioning_device_failure_en", {
    test: true,
    steps: () =>
        deviceFailureSteps({
            title: "Device operation failed",
            outcome: "Nothing was changed on the device.",
        }),
});

registry.category("web_tour.tours").add("silver_provisioning_device_failure_es", {
    test: true,
    steps: () =>
        deviceFailureSteps({
            title: "Falló la operación en el equipo",
            outcome: "No se cambió nada en el equipo.",
        }),
});
