import { Component, onWillUnmount, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";

/**
 * The setup assistant's pre-flight, live: while "Run Pre-flight" is reading QuickBooks, the
 * server sends, after each read, the section being read, the reads so far and the share of the
 * sections done (qbo.setup._qbo_preflight_report, on the bus). Shows nothing until then.
 */
export class QboPreflightLive extends Component {
    static template = "qbo_connector.PreflightLive";
    static props = { ...standardWidgetProps };

    setup() {
        this.state = useState({ progress: null, section: "", reads: 0 });
        this.busService = useService("bus_service");
        this.onProgress = (payload) => {
            if (payload.setup_id === this.props.record.resId) {
                Object.assign(this.state, payload);
            }
        };
        this.busService.subscribe("qbo_connector/preflight_progress", this.onProgress);
        onWillUnmount(() => this.busService.unsubscribe("qbo_connector/preflight_progress", this.onProgress));
    }
}

registry.category("view_widgets").add("qbo_preflight_live", { component: QboPreflightLive });
