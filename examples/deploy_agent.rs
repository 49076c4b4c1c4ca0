//! Ships a knowledge-base change the way Agent Studio does: create a branch, edit a topic on
//! it, merge it into `main` (which publishes to sandbox), publish (an "already published"
//! answer is expected and fine), then promote sandbox → pre-release → live.
//!
//! With no `POLYAI_API_KEY` it runs against the embedded offline mock. With a key (plus
//! `POLYAI_REGION`, `POLYAI_ACCOUNT_ID`, `POLYAI_PROJECT_ID`, `POLYAI_AGENT_ID`) it would
//! change and deploy a **real** agent, so it only shows what is deployed unless you also set
//! `POLYAI_ALLOW_DEPLOY=1` or pass `--deploy`.
//!
//! ```sh
//! cargo run --example deploy_agent
//! POLYAI_API_KEY=... POLYAI_AGENT_ID=... POLYAI_ALLOW_DEPLOY=1 cargo run --example deploy_agent
//! ```

use polyai_examples::{AnyResult, connect};
use polyai_sdk::deployments::DeploymentOutcome;
use polyai_sdk::types::agents::{
    Deployment, PromoteDeploymentRequest, PromotionTarget, PublishDeploymentRequest,
};
use polyai_sdk::{Client, Error};

/// The topic the example edits (or adds, when the agent has none by that name).
const TOPIC: &str = "Opening hours";
const CONTENT: &str = "We are open every day from 8am to 8pm, bank holidays included.";

/// Sends a generated call and unwraps its value.
macro_rules! api {
    ($call:expr) => {
        $call
            .send()
            .await
            .map(polyai_sdk::ResponseValue::into_inner)
    };
}

fn describe(d: &Deployment) -> String {
    format!(
        "{} on {} (version {}, {})",
        d.id,
        d.environment.as_deref().unwrap_or("?"),
        d.version.as_deref().map_or("?", |v| &v[..v.len().min(12)]),
        d.created_at.as_deref().unwrap_or("?")
    )
}

/// What an environment runs now.
async fn active_in(client: &Client, agent: &str, environment: &str) -> AnyResult<Deployment> {
    let active = api!(client.agents().get_active_deployments().agent_id(agent))?;
    active
        .active_deployments
        .and_then(|mut map| map.remove(environment).flatten())
        .ok_or_else(|| {
            format!("{environment} runs nothing although it is already published").into()
        })
}

async fn print_active(client: &Client, agent: &str) -> AnyResult<()> {
    let active = api!(client.agents().get_active_deployments().agent_id(agent))?;
    for (env, deployment) in active.active_deployments.unwrap_or_default() {
        match deployment {
            Some(d) => println!("   {env:<12} {}", describe(&d)),
            None => println!("   {env:<12} (nothing deployed)"),
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> AnyResult<()> {
    let target = connect().await?;
    let client = &target.client;
    let agent = target.agent_id.as_str();
    let allowed = std::env::var("POLYAI_ALLOW_DEPLOY").is_ok_and(|v| v.trim() == "1")
        || std::env::args().skip(1).any(|a| a == "--deploy");

    match &target.mock {
        Some(mock) => println!(
            "• Started the embedded PolyAI mock at {} (no POLYAI_API_KEY set)",
            mock.base_url()
        ),
        None if !allowed => {
            println!("• Using the real PolyAI API. What agent {agent} runs now:");
            print_active(client, agent).await?;
            println!(
                "\nThis example edits and deploys the agent, live included. Run it again with \
                 POLYAI_ALLOW_DEPLOY=1 (or --deploy) to do that."
            );
            return Ok(());
        }
        None => {
            println!("• Using the real PolyAI API: deploying agent {agent} (deploying was allowed)")
        }
    }
    let agents = client.agents();

    // 1. A branch to work on: main itself is read-only.
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let branch_name = format!("polyai-rs-example-{stamp}");
    let branch = api!(
        agents
            .create_branch()
            .agent_id(agent)
            .body_map(|b| b.branch_name(branch_name.clone()))
    )?;
    let branch_id = branch.branch_id;
    println!(
        "\n1. Created branch {branch_name:?} ({branch_id}) from main at sequence {}",
        branch.sequence_id.as_deref().unwrap_or("?")
    );

    // 2. Edit the topic on the branch, or add it. If that fails, drop the branch again.
    println!("\n2. Editing knowledge-base topic {TOPIC:?} on the branch");
    let edited: Result<String, Error> = async {
        let topics = api!(
            agents
                .list_knowledge_base_topics()
                .agent_id(agent)
                .branch_id(&branch_id)
        )?;
        match topics.iter().find(|t| {
            t.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(TOPIC))
        }) {
            Some(topic) => {
                println!("   was: {:?}", topic.content.as_deref().unwrap_or_default());
                api!(
                    agents
                        .update_knowledge_base_topic()
                        .agent_id(agent)
                        .branch_id(&branch_id)
                        .topic_id(&topic.id)
                        .body_map(|b| b.content(CONTENT.to_owned()))
                )?;
                Ok(topic.id.clone())
            }
            None => {
                let topic = api!(
                    agents
                        .create_knowledge_base_topic()
                        .agent_id(agent)
                        .branch_id(&branch_id)
                        .body_map(|b| b.name(TOPIC.to_owned()).content(CONTENT.to_owned()))
                )?;
                println!("   the agent had no such topic: added it");
                Ok(topic.id)
            }
        }
    }
    .await;
    let topic_id = match edited {
        Ok(id) => id,
        Err(error) => {
            println!("   editing failed ({error}); deleting the branch");
            api!(agents.delete_branch().agent_id(agent).branch_id(&branch_id))?;
            return Err(error.into());
        }
    };
    let topic = api!(
        agents
            .get_knowledge_base_topic()
            .agent_id(agent)
            .branch_id(&branch_id)
            .topic_id(&topic_id)
    )?;
    println!("   now: {:?}", topic.content.as_deref().unwrap_or_default());

    // 3. Merge into main; this also publishes main to sandbox.
    let merged = match api!(
        agents
            .merge_branch()
            .agent_id(agent)
            .branch_id(&branch_id)
            .body_map(|b| b.deployment_message(format!("{TOPIC}: updated by polyai-rs")))
    ) {
        Ok(merged) => merged,
        Err(Error::Api(e)) if e.status == 400 => {
            println!(
                "\n3. The branch conflicts with main; resolve it in Agent Studio. Details: {}",
                e.details.map(|d| d.to_string()).unwrap_or(e.body_excerpt)
            );
            return Err("merge conflict".into());
        }
        Err(other) => return Err(other.into()),
    };
    println!(
        "\n3. Merged into main: sequence {} ({})",
        merged.sequence.as_deref().unwrap_or("?"),
        merged.message.as_deref().unwrap_or_default()
    );

    // 4. Publish. Right after a merge PolyAI answers "already published": the SDK reports
    //    that as an outcome, not an error.
    println!("\n4. Publishing main to sandbox");
    let publish = PublishDeploymentRequest {
        deployment_message: Some("polyai-rs example".to_owned()),
        ..Default::default()
    };
    let sandbox = match client.publish_deployment(agent, publish).await? {
        DeploymentOutcome::Deployed(change) => {
            let deployment = change.deployment.ok_or("publish returned no deployment")?;
            println!("   published {}", describe(&deployment));
            deployment
        }
        DeploymentOutcome::AlreadyDeployed { error_code, .. } => {
            println!("   already published ({error_code}), as expected after a merge");
            active_in(client, agent, "sandbox").await?
        }
    };
    println!("   sandbox runs {}", describe(&sandbox));

    // 5. Promote: sandbox → pre-release → live. Each step makes a new deployment. Promoting
    //    to live before pre-release runs the version is refused (412 ErrPreReleaseNotReady).
    println!("\n5. Promoting");
    let mut current = sandbox;
    for (target_env, label) in [
        (PromotionTarget::PreRelease, "pre-release"),
        (PromotionTarget::Live, "live"),
    ] {
        let request = PromoteDeploymentRequest {
            target_environment: Some(target_env),
            deployment_message: Some(format!("polyai-rs example: to {label}")),
        };
        current = match client
            .promote_deployment(agent, &current.id, request)
            .await?
        {
            DeploymentOutcome::Deployed(change) => {
                change.deployment.ok_or("promote returned no deployment")?
            }
            // Running the example twice without a change: the version is already there.
            DeploymentOutcome::AlreadyDeployed { .. } => {
                println!("   {label}: already runs this version");
                active_in(client, agent, label).await?
            }
        };
        println!("   {label:<12} {}", describe(&current));
    }

    println!("\nWhat agent {agent} runs now:");
    print_active(client, agent).await?;
    println!("\nDone.");
    Ok(())
}
