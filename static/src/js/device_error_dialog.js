/** @odoo-module **/
/**
 * Device failures in Odoo's own warning dialog, and the chatter brought up to date.
 *
 * The web client picks the friendly dialog by the exception's exact class name:
 * a subclass of UserError would get the generic "report it to your support
 * service" dialog with a traceback.  The log of the failure was committed on a
 * cursor of its own (it survives the request's rollback), so the chatter of the
 * record it was posted on is reloaded when the dialog opens.
 */
import { registry } from "@web/core/registry";
import { WarningDialog } from "@web/core/errors/error_dialogs";
import { _t } from "@web/core/l10n/translation";

export const DEVICE_ERROR =
    "odoo.addons.silver_provisioning.models.silver_provisioning_log_mixin.DeviceOperationError";

export class DeviceErrorDialog extends WarningDialog {
    setup() {
        super.setup();
        this.reloadChatter(this.props.data?.context?.silver_thread);
    }

    inferTitle() {
        return _t("Device operation failed");
    }

    reloadChatter(where) {
        const threadService = this.env.services["mail.thread"];
        if (!where || !threadService || !threadService.getThread) {
            return;
        }
        const thread = threadService.getThread(where.model, where.id);
        if (threadService.fetchData) {
            threadService.fetchData(thread, ["messages", "attachments"]);
        } else {
            threadService.fetchNewMessages(thread);
        }
    }
}
DeviceErrorDialog.template = "web.WarningDialog";

registry.category("error_dialogs").add(DEVICE_ERROR, DeviceErrorDialog);
