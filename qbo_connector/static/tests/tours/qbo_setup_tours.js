/** The setup assistant and the Settings section, as a user goes through them (issue 11).
 * Run by qbo_connector/tests/test_setup_tours.py in headless Chromium. A step made by shot()
 * asks the test for a screenshot of the page as it is (saved under docs/images/ when
 * QBO_SCREENSHOTS=1). */
import { registry } from "@web/core/registry";

function shot(name) {
    return {
        content: `screenshot ${name}`,
        trigger: "body",
        async run() {
            console.log(`qbo_screenshot ${name}`);
            await new Promise((resolve) => setTimeout(resolve, 700));
        },
    };
}

function openSettingsSection() {
    return [
        {
            content: "open the QuickBooks Online section of Settings",
            trigger: ".settings_tab .tab[data-key='qbo_connector']",
            run: "click",
        },
        {
            content: "the connection is shown",
            trigger: "#qbo_status .o_field_badge:contains(Connected)",
        },
    ];
}

function openAssistant() {
    return [
        ...openSettingsSection(),
        {
            content: "open the setup assistant",
            trigger: "button.o_qbo_open_setup",
            run: "click",
        },
    ];
}

function throughPreflight(screenshots) {
    return [
        {
            content: "the assistant opens at the pre-flight (already connected)",
            trigger: ".o_qbo_setup_step_preflight",
        },
        ...(screenshots ? [shot("setup_1_connected")] : []),
        {
            content: "run the pre-flight",
            trigger: "button.o_qbo_setup_preflight",
            run: "click",
        },
        {
            content: "its findings are listed",
            trigger: ".o_qbo_setup_preflight_lines .o_data_row",
        },
        ...(screenshots ? [shot("setup_2_preflight")] : []),
        {
            content: "on to the settings",
            trigger: "button.o_qbo_setup_next",
            run: "click",
        },
        {
            content: "recommended or customize",
            trigger: ".o_qbo_setup_step_choose li",
        },
    ];
}

registry.category("web_tour.tours").add("qbo_setup_recommended", {
    steps: () => [
        ...openAssistant(),
        ...throughPreflight(true),
        shot("setup_3_recommended"),
        {
            content: "take the recommended settings",
            trigger: "button.o_qbo_setup_recommended",
            run: "click",
        },
        {
            content: "every choice on one page",
            trigger: ".o_qbo_setup_step_review div[name='sync_start_date']",
        },
        shot("setup_5_review"),
        {
            content: "start",
            trigger: "button.o_qbo_setup_start",
            run: "click",
        },
        {
            content: "started",
            trigger: ".o_qbo_setup_step_review .alert-success",
        },
        shot("setup_6_started"),
    ],
});

registry.category("web_tour.tours").add("qbo_setup_customized", {
    steps: () => [
        ...openAssistant(),
        ...throughPreflight(false),
        {
            content: "customize",
            trigger: "button.o_qbo_setup_customize",
            run: "click",
        },
        {
            content: "one-way push",
            trigger: ".o_qbo_setup_step_custom_sync div[name='sync_direction'] input[data-value='push_only']",
            run: "click",
        },
        shot("setup_4_customize"),
        {
            content: "next group: invoices",
            trigger: "button.o_qbo_setup_next",
            run: "click",
        },
        {
            content: "an invoice prefix",
            trigger: ".o_qbo_setup_step_custom_invoices div[name='invoice_prefix'] input",
            run: "edit TOUR-",
        },
        {
            content: "back",
            trigger: "button.o_qbo_setup_back",
            run: "click",
        },
        {
            content: "the direction chosen is kept",
            trigger: ".o_qbo_setup_step_custom_sync div[name='sync_direction'] input[data-value='push_only']:checked",
        },
        {
            content: "next: invoices",
            trigger: "button.o_qbo_setup_next",
            run: "click",
        },
        {
            content: "the prefix is kept",
            trigger: ".o_qbo_setup_step_custom_invoices div[name='invoice_prefix'] input",
            run() {
                const value = this.anchor.value;
                if (value !== "TOUR-") {
                    console.error(`the prefix is ${value}, not TOUR-`);
                }
            },
        },
        {
            content: "next: payments",
            trigger: "button.o_qbo_setup_next",
            run: "click",
        },
        {
            content: "invoices paid at once as sales receipts",
            trigger: ".o_qbo_setup_step_custom_payments div[name='receipts_paid_at_once'] input",
            run: "click",
        },
        {
            content: "next: review",
            trigger: "button.o_qbo_setup_next",
            run: "click",
        },
        {
            content: "review",
            trigger: ".o_qbo_setup_step_review div[name='invoice_prefix']:contains(TOUR-)",
        },
        {
            content: "start",
            trigger: "button.o_qbo_setup_start",
            run: "click",
        },
        {
            content: "started",
            trigger: ".o_qbo_setup_step_review .alert-success",
        },
    ],
});

registry.category("web_tour.tours").add("qbo_setup_continue_later", {
    steps: () => [
        ...openAssistant(),
        ...throughPreflight(false),
        {
            content: "customize",
            trigger: "button.o_qbo_setup_customize",
            run: "click",
        },
        {
            content: "one-way push",
            trigger: ".o_qbo_setup_step_custom_sync div[name='sync_direction'] input[data-value='push_only']",
            run: "click",
        },
        {
            content: "continue later",
            trigger: "button.o_qbo_setup_later",
            run: "click",
        },
        ...openAssistant(),
        {
            content: "resumed where it was left, with the choice made",
            trigger: ".o_qbo_setup_step_custom_sync div[name='sync_direction'] input[data-value='push_only']:checked",
        },
        {
            content: "cancel",
            trigger: "button.o_qbo_setup_cancel",
            run: "click",
        },
        {
            content: "confirm",
            trigger: ".modal button.btn-primary",
            run: "click",
        },
        {
            content: "back in Settings",
            trigger: "button.o_qbo_open_setup",
        },
    ],
});

registry.category("web_tour.tours").add("qbo_settings_section", {
    steps: () => [
        ...openSettingsSection(),
        {
            content: "the QuickBooks company",
            trigger: "#qbo_status:contains(Sandbox Company)",
        },
        shot("settings_section"),
        {
            content: "change the invoice prefix",
            trigger: "div[name='qbo_invoice_prefix'] input",
            run: "edit SET-",
        },
        {
            content: "save",
            trigger: ".o_form_button_save",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "saved and shown again",
            trigger: "div[name='qbo_invoice_prefix'] input:value(SET-)",
        },
    ],
});
