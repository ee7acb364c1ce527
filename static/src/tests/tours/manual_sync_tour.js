/** @odoo-module **/
/**
 * A manual sync as a network administrator: the wizard titled for the OLT, only
 * the changes its platform can make, and the OLT's progress and result shown on
 * its form once the job has run (the job reports over the bus; here it runs at once).
 */
import { registry } from "@web/core/registry";

function manualSyncSteps(texts) {
    return [
        {
            content: "Open the Manual Sync wizard",
            trigger: ".o_form_view button[name='action_open_sync_wizard']",
            run: "click",
        },
        {
            content: "The wizard is titled for the OLT, not 'Odoo'",
            trigger: `.modal-title:contains('${texts.title}')`,
            isCheck: true,
        },
        {
            content: "DNS is not offered: every platform refuses it",
            trigger: ".o_field_widget[name='kind']:not(:has(input[data-value='dns']))",
            isCheck: true,
        },
        {
            content: "Choose a speed profile change",
            trigger: ".o_field_widget[name='kind'] input[data-value='traffic_profile']",
            run: "click",
        },
        {
            content: "Type the profile",
            trigger: ".o_field_widget[name='traffic_profile'] input",
            run: "text P100",
        },
        {
            content: "Queue it",
            trigger: "button[name='action_confirm']",
            run: "click",
        },
        {
            content: "The Manual Sync tab",
            trigger: ".o_notebook .nav-link:contains('" + texts.tab + "')",
            extra_trigger: "body:not(:has(.modal .o_form_view))",
            run: "click",
        },
        {
            content: "The sync's description in words",
            trigger: `.o_field_widget[name='sync_description']:contains('${texts.description}')`,
            isCheck: true,
        },
        {
            content: "The progress and the result are on the form",
            trigger: `.o_field_widget[name='sync_state']:contains('${texts.done}')`,
            isCheck: true,
        },
        {
            content: "The progress bar is full",
            trigger: ".o_field_widget[name='sync_progress']:contains('100')",
            isCheck: true,
        },
    ];
}

registry.category("web_tour.tours").add("silver_provisioning_manual_sync_en", {
    test: true,
    steps: () =>
        manualSyncSteps({
            title: "Manual Sync of",
            tab: "Manual Sync",
            description: "speed profile P100",
            done: "Done",
        }),
});

registry.category("web_tour.tours").add("silver_provisioning_manual_sync_es", {
    test: true,
    steps: () =>
        manualSyncSteps({
            title: "Sincronización manual de",
            tab: "Sincronización manual",
            description: "perfil de velocidad P100",
            done: "Terminada",
        }),
});
