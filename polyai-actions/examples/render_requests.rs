//! Loads an ADK `api_integrations.yaml` and a file of API-call actions, lints both, validates
//! parameters, and prints the request each would send in every environment, as curl commands
//! with secrets masked. Nothing is sent.
//!
//! ```text
//! cargo run -p polyai-actions --example render_requests
//! ```

use polyai_actions::lint::Diagnostic;
use polyai_actions::render::{CallArgs, RenderContext, render_action, render_operation};
use polyai_actions::secrets::InMemorySecretStore;
use polyai_actions::{
    ApiActions, ApiIntegrations, ApiKeyLocation, AuthConnector, Environment, SecretRef,
};
use serde_json::json;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data");

fn print_diagnostics(file: &str, found: &[Diagnostic]) {
    println!("lint {file}: {} finding(s)", found.len());
    for d in found {
        println!("  {d}");
    }
}

/// Demo credentials, one set per environment (a real program reads them from a vault).
fn secrets() -> InMemorySecretStore {
    let mut store = InMemorySecretStore::new();
    for env in Environment::ALL {
        for name in [
            "shop_token",
            "shop_api_key",
            "support_signature",
            "support_password",
        ] {
            store.insert(env, name, format!("{env}-demo-{name}"));
        }
    }
    store
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let integrations = ApiIntegrations::from_path(format!("{DATA}/api_integrations.yaml"))?;
    let actions = ApiActions::from_path(format!("{DATA}/actions.yaml"))?;

    // 1. Lint.
    print_diagnostics("api_integrations.yaml", &integrations.lint());
    print_diagnostics("actions.yaml", &actions.lint());

    // 2. Validate parameters: what the agent is told when a call is wrong.
    let ticket = actions
        .get("create_ticket")
        .ok_or("no create_ticket action")?;
    let validator = ticket.parameter_validator()?;
    let good = json!({
        "priority": "high", "category": "billing", "reason": "refund",
        "summary": "Charged twice", "email": "sam@example.com"
    });
    let bad = json!({"priority": "urgent", "category": "billing", "email": "not-an-email"});
    for parameters in [&good, &bad] {
        match validator.validate(parameters) {
            Ok(()) => println!("\nvalidate create_ticket {parameters}: valid"),
            Err(errors) => {
                println!("\nvalidate create_ticket {parameters}: invalid; the agent is told");
                for message in errors.messages() {
                    println!("  - {message}");
                }
            }
        }
    }

    // 3. Render every request in every environment.
    let store = secrets();
    let lookup = actions
        .get("lookup_order")
        .ok_or("no lookup_order action")?;
    let shop = integrations.get("shop").ok_or("no shop integration")?;
    for env in Environment::ALL {
        println!("\n===== {env} =====");
        println!("# (an action has one URL; per environment only its secrets differ)");
        let context = RenderContext::new(env, &store)
            .with_variable("account.status", json!("gold"))
            .with_static_variables(env, json!({"queue": format!("{env}-support")}))
            .with_integration_auth(
                "shop",
                AuthConnector::ApiKey {
                    location: ApiKeyLocation::Header {
                        name: "X-API-Key".into(),
                    },
                    key: SecretRef::new("shop_api_key"),
                },
            );

        let request = render_action(
            lookup,
            &context
                .clone()
                .with_parameters(json!({"order_number": "ORD-12345", "include_items": true})),
        )?;
        println!("# action lookup_order\n{}\n", request.to_curl());

        let request = render_action(ticket, &context.clone().with_parameters(good.clone()))?;
        println!("# action create_ticket\n{}\n", request.to_curl());
        for warning in request.warnings() {
            println!("# warning: {warning}");
        }

        // conv.api.shop.get_order("ORD/12 34", params={"expand": ["items", "notes"]})
        let call = CallArgs::new()
            .arg(json!("ORD/12 34"))
            .param("expand", json!(["items", "notes"]));
        let request = render_operation(shop, "get_order", &call, &context)?;
        println!("# conv.api.shop.get_order\n{}\n", request.to_curl());

        // conv.api.shop.add_note(order_id="ORD-1", json={...}, headers={"X-Request-Id": "r-1"})
        let call = CallArgs::new()
            .named_arg("order_id", json!("ORD-1"))
            .json(json!({"text": "Caller asked for a refund", "amount": 12.5}))
            .header("X-Request-Id", "r-1");
        let request = render_operation(shop, "add_note", &call, &context)?;
        println!("# conv.api.shop.add_note\n{}", request.to_curl());
    }

    // 4. An invalid call is refused with the agent-facing messages, before any rendering.
    let context = RenderContext::new(Environment::Live, &store).with_parameters(bad);
    match render_action(ticket, &context) {
        Ok(_) => println!("\nunexpected: the invalid call rendered"),
        Err(e) => println!("\nrender create_ticket with the invalid parameters: {e}"),
    }
    Ok(())
}
