import { registry } from "@web/core/registry";

// The sync dashboard (issue 11, item 3): a card per connection with its status, last push and
// pull, the queue's counts, the initial sync's progress and time left, and its buttons.
registry.category("web_tour.tours").add("qbo_dashboard_tour", {
    url: "/odoo/action-qbo_connector.action_qbo_dashboard",
    steps: () => [
        {
            content: "The connection's card shows its company and its status",
            trigger: ".o_qbo_dashboard .o_kanban_record:contains('QuickBooks Dashboard Co') .o_qbo_dashboard_state:contains('Connected')",
        },
        {
            content: "Waiting, failed and done today are counted",
            trigger: ".o_kanban_record:contains('QuickBooks Dashboard Co') .o_qbo_waiting:contains('2')",
        },
        {
            trigger: ".o_kanban_record:contains('QuickBooks Dashboard Co') .o_qbo_failed:contains('1')",
        },
        {
            trigger: ".o_kanban_record:contains('QuickBooks Dashboard Co') .o_qbo_done_today:contains('3')",
        },
        {
            content: "The initial sync's progress bar and its estimate of the time left",
            trigger: ".o_kanban_record:contains('QuickBooks Dashboard Co') .o_qbo_initial_sync .o_progressbar",
        },
        {
            trigger: ".o_kanban_record:contains('QuickBooks Dashboard Co') .o_qbo_time_left:contains('About')",
        },
        {
            content: "Open the connection's jobs",
            trigger: ".o_kanban_record:contains('QuickBooks Dashboard Co') button.o_qbo_jobs",
            run: "click",
        },
        {
            content: "The jobs of this connection are listed",
            trigger: ".o_list_view .o_data_row",
        },
        {
            content: "Back to the dashboard",
            trigger: ".o_breadcrumb .o_back_button a, .o_breadcrumb li.breadcrumb-item:first-child a",
            run: "click",
        },
        {
            content: "Open the call log",
            trigger: ".o_kanban_record:contains('QuickBooks Dashboard Co') button.o_qbo_log",
            run: "click",
        },
        {
            trigger: ".o_breadcrumb:contains('Call Log'), .o_breadcrumb:contains('Log')",
        },
        {
            content: "Back to the dashboard",
            trigger: ".o_breadcrumb .o_back_button a, .o_breadcrumb li.breadcrumb-item:first-child a",
            run: "click",
        },
        {
            content: "Setup opens the assistant, or the connection's form",
            trigger: ".o_kanban_record:contains('QuickBooks Dashboard Co') button.o_qbo_setup",
            run: "click",
        },
        {
            trigger: ".o_form_view, .modal .o_form_view",
        },
    ],
});
