/** @odoo-module **/
/**
 * A device failure seen by an operator: Odoo's warning dialog with the device's
 * words and what was done, never the traceback dialog; the chatter shows the log.
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
            content: "Odoo's warning dialog, titled for a device failure",
            trigger: `.modal .modal-title:contains('${texts.title}')`,
            isCheck: true,
        },
        {
            content: "The dialog says what was done on the device",
            trigger: `.modal .o_error_dialog:contains('${texts.outcome}')`,
            isCheck: true,
        },
        {
            content: "No traceback, no 'report it to your support service' dialog",
            trigger: ".modal .o_error_dialog:not(:has(.o_error_detail)):not(:contains('Traceback'))",
            isCheck: true,
        },
        {
            content: "Close the dialog",
            trigger: ".modal .o-default-button",
            run: "click",
        },
        {
            content: "The chatter shows the failure's log without a page reload",
            trigger: `.o-mail-Message:contains('${texts.failed}') .o_silver_transcript`,
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
            failed: "FAILED",
        }),
});

registry.category("web_tour.tours").add("silver_provisioning_device_failure_es", {
    test: true,
    steps: () =>
        deviceFailureSteps({
            title: "Falló la operación en el equipo",
            outcome: "No se cambió nada en el equipo.",
            failed: "FALLÓ",
        }),
});
