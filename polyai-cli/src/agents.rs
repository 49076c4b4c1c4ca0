//! `polyai agents list|branches|deployments|publish|promote|rollback`.

use polyai_sdk::Environment;
use polyai_sdk::deployments::{ALREADY_PUBLISHED_CODES, DeploymentOutcome};
use polyai_sdk::types::agents::{
    Deployment, PromoteDeploymentRequest, PromotionTarget, PublishDeploymentRequest,
    RollbackDeploymentRequest,
};

use crate::cli::{AgentsCommand, Stage};
use crate::config::Settings;
use crate::error::{CliError, CliResult, call};
use crate::prompt::confirm;
use crate::records;

fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::Sandbox => "sandbox",
        Stage::PreRelease => "pre-release",
        Stage::Live => "live",
    }
}

fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

fn deployment_cells(environment: &str, d: Option<&Deployment>) -> Vec<String> {
    match d {
        Some(d) => vec![
            environment.to_string(),
            d.id.clone(),
            d.version.clone().unwrap_or_default(),
            d.created_at.clone().unwrap_or_default(),
            d.created_by.clone().unwrap_or_default(),
        ],
        None => vec![
            environment.to_string(),
            "(nothing deployed)".into(),
            String::new(),
            String::new(),
            String::new(),
        ],
    }
}

fn describe(d: &Deployment) -> String {
    format!(
        "{} on {} (version {})",
        d.id,
        d.environment.as_deref().unwrap_or("?"),
        d.version.as_deref().unwrap_or("?")
    )
}

fn report(outcome: DeploymentOutcome, what: &str) {
    match outcome {
        DeploymentOutcome::Deployed(change) => match change.deployment {
            Some(d) => println!("{what}: {}", describe(&d)),
            None => println!("{what}: done"),
        },
        DeploymentOutcome::AlreadyDeployed {
            error_code,
            message,
            ..
        } => println!(
            "nothing to do: that version already runs there ({error_code}{})",
            message.map_or(String::new(), |m| format!(": {m}"))
        ),
    }
}

/// Runs an agents command.
pub async fn run(settings: &Settings, command: &AgentsCommand) -> CliResult {
    let client = settings.client()?;
    let api = client.agents();
    match command {
        AgentsCommand::List { format } => {
            let agents = call(
                api.list_agents()
                    .account_id(settings.account()?)
                    .send()
                    .await,
            )
            .await?;
            let rows: Vec<_> = agents
                .iter()
                .map(|a| {
                    (
                        vec![
                            a.agent_id.clone(),
                            a.agent_name.clone().unwrap_or_default(),
                            a.branch_count.map_or(String::new(), |n| n.to_string()),
                            a.updated_at.clone().unwrap_or_default(),
                        ],
                        json(a),
                    )
                })
                .collect();
            records::print(
                *format,
                &["agent_id", "name", "branches", "updated_at"],
                &rows,
            )
        }
        AgentsCommand::Branches { format } => {
            let list = call(api.list_branches().agent_id(settings.agent()?).send().await).await?;
            let text = |b: &serde_json::Map<String, serde_json::Value>, keys: &[&str]| {
                keys.iter()
                    .find_map(|k| b.get(*k).and_then(|v| v.as_str().map(str::to_owned)))
                    .unwrap_or_default()
            };
            let rows: Vec<_> = list
                .branches
                .iter()
                .map(|b| {
                    (
                        vec![
                            text(b, &["branchId", "id"]),
                            text(b, &["branchName", "name"]),
                            text(b, &["createdAt", "created_at"]),
                        ],
                        serde_json::Value::Object(b.clone()),
                    )
                })
                .collect();
            records::print(*format, &["branch_id", "name", "created_at"], &rows)
        }
        AgentsCommand::Deployments {
            history,
            environment,
            limit,
            format,
        } => {
            let agent = settings.agent()?;
            let headers = [
                "environment",
                "deployment",
                "version",
                "created_at",
                "created_by",
            ];
            if *history {
                // PolyAI lists one environment per call: without --env, all three, merged
                // newest first.
                let stages = match environment {
                    Some(stage) => vec![*stage],
                    None => vec![Stage::Sandbox, Stage::PreRelease, Stage::Live],
                };
                let limit = limit
                    .map(|l| {
                        std::num::NonZeroU64::new(l)
                            .ok_or_else(|| CliError::usage("--limit must be at least 1"))
                    })
                    .transpose()?;
                let mut deployments = Vec::new();
                for stage in stages {
                    let mut request = api
                        .list_deployments()
                        .agent_id(agent)
                        .environment(wire_environment(stage));
                    if let Some(limit) = limit {
                        request = request.limit(limit);
                    }
                    deployments.extend(call(request.send().await).await?.deployments);
                }
                deployments.sort_by(|a, b| b.created_at.cmp(&a.created_at));
                if let Some(limit) = limit {
                    deployments.truncate(limit.get() as usize);
                }
                let list = polyai_sdk::types::agents::DeploymentList { deployments };
                let rows: Vec<_> = list
                    .deployments
                    .iter()
                    .map(|d| {
                        (
                            deployment_cells(d.environment.as_deref().unwrap_or(""), Some(d)),
                            json(d),
                        )
                    })
                    .collect();
                return records::print(*format, &headers, &rows);
            }
            let active = call(api.get_active_deployments().agent_id(agent).send().await).await?;
            let mut map = active.active_deployments.unwrap_or_default();
            let mut rows = Vec::new();
            // PolyAI's order first, then any environment it adds later.
            for env in ["sandbox", "pre-release", "live"] {
                let d = map.remove(env).flatten();
                rows.push((
                    deployment_cells(env, d.as_ref()),
                    serde_json::json!({"environment": env, "deployment": d.as_ref().map(json)}),
                ));
            }
            for (env, d) in map {
                rows.push((
                    deployment_cells(&env, d.as_ref()),
                    serde_json::json!({"environment": env, "deployment": d.as_ref().map(json)}),
                ));
            }
            records::print(*format, &headers, &rows)
        }
        AgentsCommand::Publish {
            environment,
            message,
            yes,
        } => {
            let agent = settings.agent()?;
            if *environment != Stage::Sandbox {
                confirm(
                    &format!("publish main of {agent} to {}?", stage_name(*environment)),
                    *yes,
                )?;
            }
            let request = PublishDeploymentRequest {
                deployment_message: message.clone(),
                environment: Some(wire_environment(*environment)),
            };
            let outcome = client.publish_deployment(agent, request).await?;
            report(outcome, "published");
            Ok(())
        }
        AgentsCommand::Promote {
            deployment,
            from,
            to,
            message,
            yes,
        } => {
            let agent = settings.agent()?;
            let deployment = match (deployment, from) {
                (Some(id), _) => id.clone(),
                (None, Some(stage)) => {
                    let active =
                        call(api.get_active_deployments().agent_id(agent).send().await).await?;
                    active
                        .active_deployments
                        .and_then(|mut map| map.remove(stage_name(*stage)).flatten())
                        .map(|d| d.id)
                        .ok_or_else(|| {
                            CliError::failure(format!(
                                "{} runs nothing to promote",
                                stage_name(*stage)
                            ))
                            .hint("publish first: polyai agents publish")
                        })?
                }
                (None, None) => return Err(CliError::usage("give a deployment id or --from ENV")),
            };
            let target = match to {
                None => None,
                Some(Stage::Sandbox) => {
                    return Err(CliError::usage(
                        "--to sandbox: promotion goes to pre-release or live",
                    )
                    .hint("use polyai agents publish for sandbox"));
                }
                Some(Stage::PreRelease) => Some(PromotionTarget::PreRelease),
                Some(Stage::Live) => Some(PromotionTarget::Live),
            };
            let whereto = to.map_or("the next environment", |s| stage_name(s));
            confirm(
                &format!("promote {deployment} of {agent} to {whereto}?"),
                *yes,
            )?;
            let request = PromoteDeploymentRequest {
                deployment_message: message.clone(),
                target_environment: target,
            };
            let outcome = client
                .promote_deployment(agent, &deployment, request)
                .await?;
            report(outcome, "promoted");
            Ok(())
        }
        AgentsCommand::Rollback {
            deployment,
            message,
            yes,
        } => {
            let agent = settings.agent()?;
            confirm(
                &format!("roll {agent} back to {deployment} in its environment?"),
                *yes,
            )?;
            let request = RollbackDeploymentRequest {
                deployment_message: message.clone(),
            };
            let result = api
                .rollback_deployment()
                .agent_id(agent)
                .deployment_id(deployment.as_str())
                .body(request)
                .send()
                .await;
            match result {
                Ok(change) => {
                    report(
                        DeploymentOutcome::Deployed(change.into_inner()),
                        "rolled back",
                    );
                    Ok(())
                }
                Err(error) => match error.error_code() {
                    Some(code) if ALREADY_PUBLISHED_CODES.contains(&code) => {
                        println!(
                            "nothing to do: the version of {deployment} already runs there ({code})"
                        );
                        Ok(())
                    }
                    _ => Err(error.into()),
                },
            }
        }
    }
}

fn wire_environment(stage: Stage) -> Environment {
    match stage {
        Stage::Sandbox => Environment::Sandbox,
        Stage::PreRelease => Environment::PreRelease,
        Stage::Live => Environment::Live,
    }
}
