/** @odoo-module **/
/*
 * Browser tours of the provisioning flows, started by tests/test_tours.py
 * against the project's simulators. Steps find buttons by their method name,
 * never by their label, so one tour runs in English and in Spanish; the
 * Python side checks the devices and the database afterwards.
 */
import { registry } from "@web/core/registry";

const tours = registry.category("web_tour.tours");

function confirmDialog(what) {
    return {
        content: `confirm: ${what}`,
        trigger: ".modal-footer .btn-primary",
        run: "click",
    };
}

function button(method, content) {
    return { content, trigger: `.o_form_statusbar button[name=${method}]`, run: "click" };
}

function shown(trigger, content) {
    return { content, trigger, isCheck: true };
}

/** Activate -> read the transcript in the chatter -> suspend -> reconnect, on the open contract. */
function serviceSteps(command) {
    return [
        button("action_activate_service", "activate the service"),
        confirmDialog("provision the ONU and the router"),
        shown(".o_form_statusbar button[name=action_suspend_service]", "the service is active"),
        shown(
            `.o-mail-Chatter .o-mail-Message-body:contains('${command}')`,
            "the OLT's transcript is in the chatter, with the commands sent"
        ),
        shown(
            ".o-mail-Chatter .o-mail-Message-body:contains('/ppp/secret/add')",
            "the router's transcript too"
        ),
        button("action_suspend_service", "suspend the service"),
        confirmDialog("cut the service"),
        shown(".o_form_statusbar button[name=action_reconnect_service]", "the service is suspended"),
        button("action_reconnect_service", "reconnect the service"),
        shown(".o_form_statusbar button[name=action_suspend_service]", "the service is active again"),
    ];
}

// A technician: discovery on the OLT, the discovered ONU assigned to a contract, then the service.
tours.add("silver_provisioning_technician_flow", {
    test: true,
    steps: () => [
        button("action_discover_onus", "discover the ONUs waiting on the OLT"),
        {
            content: "open the ONU the OLT found",
            trigger: ".o_list_view .o_data_row:first-child .o_data_cell[name=serial_number]",
            run: "click",
        },
        button("action_open_assign_wizard", "assign it to a contract"),
        {
            content: "choose the contract",
            trigger: ".o_field_widget[name=contract_id] input",
            run: "text CT-TOUR",
        },
        {
            content: "pick it in the list",
            trigger: ".o-autocomplete--dropdown-item a:contains('CT-TOUR')",
            run: "click",
        },
        {
            content: "assign",
            trigger: "button[name=action_assign]",
            run: "click",
        },
        shown(".o_form_view .o_field_widget[name=serial_number]:not(:empty)", "the contract holds the ONU now"),
        ...serviceSteps("display version"),
    ],
});

// An operator: no discovery, no assignment; activates, suspends and reconnects a contract given its ONU.
tours.add("silver_provisioning_operator_flow", {
    test: true,
    steps: () => [
        shown(
            ".o_form_statusbar:has(button[name=action_activate_service]):not(:has(button[name=action_open_assign_wizard]))",
            "an operator may activate, not assign an ONU"
        ),
        ...serviceSteps("display version"),
    ],
});

// The ONU list: a filter, then "Read status" on the rows it keeps (labels in the user's language).
function onuListSteps(labels) {
    return [
        shown(".o_list_view .o_data_row:contains('CT-LOW')", "the ONU list shows the contracts' ONUs"),
        shown(
            `.o_data_row:contains('CT-NEVER') .o_data_cell[name=onu_rx_level]:contains('${labels.never}')`,
            "no RX read: never read, no 0.00"
        ),
        shown(".o_data_row:contains('CT-LOW') .o_data_cell[name=onu_rx_power].text-warning", "a low RX is coloured"),
        { content: "open the filters", trigger: ".o_searchview_dropdown_toggler", run: "click" },
        {
            content: "keep the low signals",
            trigger: `.o_filter_menu .o_menu_item:contains('${labels.lowSignal}')`,
            run: "click",
        },
        shown(".o_list_view:not(:has(.o_data_row:contains('CT-GOOD')))", "the good signal is filtered out"),
        shown(".o_list_view .o_data_row:contains('CT-LOW')", "the low signal stays"),
        { content: "select the rows", trigger: "thead .o_list_record_selector input", run: "click" },
        { content: "open the actions", trigger: ".o_cp_action_menus .dropdown-toggle", run: "click" },
        {
            content: "read their status",
            trigger: `.o-dropdown--menu .dropdown-item:contains('${labels.readStatus}')`,
            run: "click",
        },
        shown(`.o_notification:contains('${labels.queued}')`, "the read is queued"),
    ];
}

tours.add("silver_provisioning_onu_list", {
    test: true,
    steps: () =>
        onuListSteps({
            never: "Never Read",
            lowSignal: "Low Signal",
            readStatus: "Read status",
            queued: "Read status queued",
        }),
});

tours.add("silver_provisioning_onu_list_es", {
    test: true,
    steps: () =>
        onuListSteps({
            never: "Nunca leída",
            lowSignal: "Señal baja",
            readStatus: "Leer estado",
            queued: "Lectura de estado en cola",
        }),
});

// The OLT dashboard: a count opens the ONU list filtered.
tours.add("silver_provisioning_olt_dashboard", {
    test: true,
    steps: () => [
        {
            content: "open the low-signal ONUs of the OLT",
            trigger: ".o_kanban_record:contains('OLT huawei') .o_silver_count_low_signal",
            run: "click",
        },
        shown(".o_list_view .o_data_row:contains('CT-LOW')", "the low signal is listed"),
        shown(".o_list_view:not(:has(.o_data_row:contains('CT-GOOD')))", "only the low signals"),
    ],
});
