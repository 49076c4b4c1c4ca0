//! `polyai profile add|list|use|remove|show`.

use std::io::{BufRead, IsTerminal};

use crate::cli::{GlobalArgs, ProfileCommand};
use crate::config::{ConfigFile, Profile, Settings, config_path};
use crate::error::{CliError, CliResult};

/// Runs a profile command.
pub fn run(global: &GlobalArgs, command: &ProfileCommand) -> CliResult {
    let path = config_path()?;
    match command {
        ProfileCommand::Add {
            name,
            store_key,
            make_current,
        } => {
            check_name(name)?;
            let mut config = ConfigFile::load(&path)?;
            let api_key = if *store_key {
                let (key, source) = read_key()?;
                eprintln!("storing the API key read from {source}");
                Some(key)
            } else {
                None
            };
            let profile = Profile {
                region: global.region.clone(),
                account: global.account.clone(),
                project: global.project.clone(),
                agent: global.agent.clone(),
                base_url: global.base_url.clone(),
                agents_base_url: global.agents_base_url.clone(),
                platform_base_url: global.platform_base_url.clone(),
                api_key,
            };
            if let Some(region) = &profile.region {
                region.parse::<polyai_sdk::Region>().map_err(|e| {
                    CliError::usage(e.to_string()).hint("use one of us, uk, eu, studio")
                })?;
            }
            let replaced = config.profiles.insert(name.clone(), profile).is_some();
            if *make_current || config.current.is_none() {
                config.current = Some(name.clone());
            }
            config.save(&path)?;
            eprintln!(
                "{} profile {name} in {}{}",
                if replaced { "replaced" } else { "added" },
                path.display(),
                if config.current.as_deref() == Some(name) {
                    " (current)"
                } else {
                    ""
                }
            );
            Ok(())
        }
        ProfileCommand::List => {
            let config = ConfigFile::load(&path)?;
            if config.profiles.is_empty() {
                eprintln!(
                    "no profiles in {} (polyai profile add NAME creates one)",
                    path.display()
                );
                return Ok(());
            }
            println!(
                "{:1} {:16} {:8} {:20} {:20} {:20} {:6} BASE URL",
                "", "NAME", "REGION", "ACCOUNT", "PROJECT", "AGENT", "KEY"
            );
            let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
            for (name, p) in &config.profiles {
                let current = if config.current.as_deref() == Some(name) {
                    "*"
                } else {
                    ""
                };
                println!(
                    "{:1} {:16} {:8} {:20} {:20} {:20} {:6} {}",
                    current,
                    name,
                    dash(&p.region),
                    dash(&p.account),
                    dash(&p.project),
                    dash(&p.agent),
                    if p.api_key.is_some() { "stored" } else { "-" },
                    dash(&p.base_url)
                );
            }
            Ok(())
        }
        ProfileCommand::Use { name } => {
            let mut config = ConfigFile::load(&path)?;
            if !config.profiles.contains_key(name) {
                return Err(unknown(name, &path));
            }
            config.current = Some(name.clone());
            config.save(&path)?;
            eprintln!("using profile {name}");
            Ok(())
        }
        ProfileCommand::Remove { name } => {
            let mut config = ConfigFile::load(&path)?;
            if config.profiles.remove(name).is_none() {
                return Err(unknown(name, &path));
            }
            if config.current.as_deref() == Some(name) {
                config.current = None;
            }
            config.save(&path)?;
            eprintln!("removed profile {name}");
            Ok(())
        }
        ProfileCommand::Show => {
            let settings = Settings::resolve(global)?;
            println!("config file: {}", path.display());
            println!(
                "profile:     {}",
                settings.profile.as_deref().unwrap_or("(none)")
            );
            for (name, value, source) in settings.describe() {
                println!("{name:18} {value:40} {source}");
            }
            Ok(())
        }
    }
}

fn unknown(name: &str, path: &std::path::Path) -> CliError {
    CliError::usage(format!(
        "there is no profile named {name:?} in {}",
        path.display()
    ))
    .hint("polyai profile list shows the profiles")
}

fn check_name(name: &str) -> CliResult {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(CliError::usage(format!("{name:?} is not a profile name"))
            .hint("use letters, digits, - _ and . (at most 64)"))
    }
}

/// The key to store: `POLYAI_API_KEY`, or one line of standard input (not echoed on a
/// terminal, where `stty` is available).
fn read_key() -> CliResult<(String, &'static str)> {
    if let Some(key) = std::env::var(polyai_sdk::env::API_KEY)
        .ok()
        .filter(|k| !k.trim().is_empty())
    {
        return Ok((key.trim().to_string(), polyai_sdk::env::API_KEY));
    }
    let stdin = std::io::stdin();
    let terminal = stdin.is_terminal();
    let mut echo_off = false;
    if terminal {
        eprint!("API key (not shown): ");
        echo_off = std::process::Command::new("stty")
            .arg("-echo")
            .stdin(std::process::Stdio::inherit())
            .status()
            .is_ok_and(|s| s.success());
    }
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if echo_off {
        let _ = std::process::Command::new("stty")
            .arg("echo")
            .stdin(std::process::Stdio::inherit())
            .status();
        eprintln!();
    }
    read.map_err(|e| CliError::io("cannot read the API key from standard input", e))?;
    let key = line.trim().to_string();
    if key.is_empty() {
        return Err(CliError::usage("--store-key got no key")
            .hint("set POLYAI_API_KEY or pipe the key in: printf %s \"$KEY\" | polyai profile add NAME --store-key"));
    }
    Ok((key, "standard input"))
}
