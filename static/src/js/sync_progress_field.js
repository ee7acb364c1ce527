/** @odoo-module **/
/**
 * The progress of an OLT's manual sync, live: the background job reports each
 * chunk, retry and failure on the bus (silver_provisioning/sync_progress), and
 * the form reloads the OLT to show it, without the user reloading the page.
 */
import { onWillUnmount } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { ProgressBarField, progressBarField } from "@web/views/fields/progress_bar/progress_bar_field";

export const SYNC_PROGRESS = "silver_provisioning/sync_progress";

export class SyncProgressField extends ProgressBarField {
    setup() {
        super.setup();
        // Not useService: bus_service declares `async: true`, which useService of Odoo 17 cannot wrap.
        const bus = this.env.services.bus_service;
        // The bus service of Odoo 17 cannot unsubscribe: the handler goes quiet instead.
        let mounted = true;
        onWillUnmount(() => (mounted = false));
        bus.subscribe(SYNC_PROGRESS, (payload) => {
            if (mounted && payload.olt_id === this.props.record.resId) {
                this.refresh();
            }
        });
    }

    async refresh() {
        const record = this.props.record;
        if (record.isInEdition && (await record.isDirty())) {
            return; // never lose what the user is typing: the next notification or a save shows it
        }
        await record.load();
    }
}

export const syncProgressField = {
    ...progressBarField,
    component: SyncProgressField,
};

registry.category("fields").add("silver_sync_progress", syncProgressField);
