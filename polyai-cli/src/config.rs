//! The config file (named profiles) and the settings a command runs with.
//!
//! Precedence, for every setting: a flag, then the environment variable the SDK reads, then
//! the selected profile. The API key has no flag (a flag would show in `ps`): it comes from
//! `POLYAI_API_KEY`, or from the profile when it was stored with `--store-key`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use polyai_sdk::{Client, Region};
use serde::{Deserialize, Serialize};

use crate::cli::GlobalArgs;
use crate::error::{CliError, CliResult};

/// Names the config file's location (a file path), for tests and unusual set-ups.
pub const CONFIG_ENV: &str = "POLYAI_CONFIG";
/// Names the profile to use when `--profile` is not given.
pub const PROFILE_ENV: &str = "POLYAI_PROFILE";
/// The account id.
pub const ACCOUNT_ENV: &str = "POLYAI_ACCOUNT_ID";
/// The project id.
pub const PROJECT_ENV: &str = "POLYAI_PROJECT_ID";
/// The agent id.
pub const AGENT_ENV: &str = "POLYAI_AGENT_ID";

/// The config file: profiles by name, and which one is current.
#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The profile used when none is named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
    /// The profiles.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// One named profile. No `Debug`: it may hold the API key.
#[derive(Default, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Region: us, uk, eu or studio.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Account (workspace) id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Project id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Agent id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// One base URL for both host families.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Base URL of the Agents family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agents_base_url: Option<String>,
    /// Base URL of the Platform family.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_base_url: Option<String>,
    /// The API key, only when stored with `--store-key`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
}

/// Where the config file is: `POLYAI_CONFIG`, else `$XDG_CONFIG_HOME/polyai/config.json`, else
/// `~/.config/polyai/config.json` (`%APPDATA%\polyai\config.json` on Windows).
pub fn config_path() -> CliResult<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(path) = var(CONFIG_ENV) {
        return Ok(PathBuf::from(path));
    }
    let base = if let Some(dir) = var("XDG_CONFIG_HOME") {
        PathBuf::from(dir)
    } else if cfg!(windows) && var("APPDATA").is_some() {
        PathBuf::from(var("APPDATA").unwrap_or_default())
    } else if let Some(home) = var("HOME") {
        PathBuf::from(home).join(".config")
    } else {
        return Err(CliError::config(
            "cannot tell where the config file is: neither XDG_CONFIG_HOME nor HOME is set",
        )
        .hint(format!("set {CONFIG_ENV} to the config file's path")));
    };
    Ok(base.join("polyai").join("config.json"))
}

impl ConfigFile {
    /// Reads the config file; a missing file is an empty configuration. A file that holds an
    /// API key is refused when group or others may read it.
    pub fn load(path: &Path) -> CliResult<ConfigFile> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ConfigFile::default()),
            Err(e) => return Err(CliError::io(format!("cannot read {}", path.display()), e)),
        };
        let config: ConfigFile = serde_json::from_str(&text).map_err(|e| {
            CliError::config(format!(
                "{} is not a valid polyai config file: {e}",
                path.display()
            ))
            .hint("fix or remove the file (polyai profile add writes a new one)")
        })?;
        if config.profiles.values().any(|p| p.api_key.is_some()) {
            check_owner_only(path)?;
        }
        Ok(config)
    }

    /// Writes the config file atomically, readable and writable by its owner only.
    pub fn save(&self, path: &Path) -> CliResult {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        if let Some(dir) = dir {
            create_private_dir(dir)?;
        }
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| CliError::failure(format!("cannot encode the config file: {e}")))?;
        let mut bytes = text.into_bytes();
        bytes.push(b'\n');
        crate::secret_file::write_owner_only(path, &bytes)
            .map_err(|e| CliError::io(format!("cannot write {}", path.display()), e))
    }
}

fn create_private_dir(dir: &Path) -> CliResult {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| CliError::io(format!("cannot create {}", dir.display()), e))
}

#[cfg(unix)]
fn check_owner_only(path: &Path) -> CliResult {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(path)
        .map_err(|e| CliError::io(format!("cannot read {}", path.display()), e))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(CliError::config(format!(
            "{} holds an API key but group or others may read it (mode {:03o}); polyai will not use it",
            path.display(),
            mode & 0o777
        ))
        .hint(format!("chmod 600 {}", path.display())));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_owner_only(_path: &Path) -> CliResult {
    Ok(())
}

/// Where a setting came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A command-line flag.
    Flag,
    /// An environment variable.
    Env,
    /// The profile.
    Profile,
}

impl Source {
    fn describe(self, env: &str, profile: Option<&str>) -> String {
        match self {
            Source::Flag => "flag".to_string(),
            Source::Env => format!("env {env}"),
            Source::Profile => format!("profile {}", profile.unwrap_or("?")),
        }
    }
}

/// A resolved setting and its source.
#[derive(Debug, Clone)]
pub struct Setting {
    /// The value.
    pub value: String,
    /// Where it came from.
    pub source: Source,
}

/// Everything a command needs to reach PolyAI. No `Debug`: it holds the API key.
pub struct Settings {
    /// The profile in use, if any.
    pub profile: Option<String>,
    api_key: Option<Setting>,
    region: Option<Setting>,
    account: Option<Setting>,
    project: Option<Setting>,
    agent: Option<Setting>,
    base_url: Option<Setting>,
    agents_base_url: Option<Setting>,
    platform_base_url: Option<Setting>,
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn pick(flag: Option<&String>, env: &str, profile: Option<&String>) -> Option<Setting> {
    if let Some(value) = flag.filter(|v| !v.trim().is_empty()) {
        return Some(Setting {
            value: value.clone(),
            source: Source::Flag,
        });
    }
    if let Some(value) = env_var(env) {
        return Some(Setting {
            value,
            source: Source::Env,
        });
    }
    profile
        .filter(|v| !v.trim().is_empty())
        .map(|value| Setting {
            value: value.clone(),
            source: Source::Profile,
        })
}

impl Settings {
    /// Resolves the settings from the flags, the environment and the selected profile.
    pub fn resolve(global: &GlobalArgs) -> CliResult<Settings> {
        let path = config_path()?;
        let config = ConfigFile::load(&path)?;
        let name = global
            .profile
            .clone()
            .or_else(|| env_var(PROFILE_ENV))
            .or_else(|| config.current.clone());
        let profile = match &name {
            Some(name) => {
                match config.profiles.get(name) {
                    Some(profile) => profile.clone(),
                    None => {
                        return Err(CliError::config(format!(
                        "there is no profile named {name:?} in {}",
                        path.display()
                    ))
                    .hint("polyai profile list shows the profiles; polyai profile add creates one"));
                    }
                }
            }
            None => Profile::default(),
        };
        use polyai_sdk::env as sdk;
        Ok(Settings {
            api_key: pick(None, sdk::API_KEY, profile.api_key.as_ref()),
            region: pick(global.region.as_ref(), sdk::REGION, profile.region.as_ref()),
            account: pick(
                global.account.as_ref(),
                ACCOUNT_ENV,
                profile.account.as_ref(),
            ),
            project: pick(
                global.project.as_ref(),
                PROJECT_ENV,
                profile.project.as_ref(),
            ),
            agent: pick(global.agent.as_ref(), AGENT_ENV, profile.agent.as_ref()),
            base_url: pick(
                global.base_url.as_ref(),
                sdk::BASE_URL,
                profile.base_url.as_ref(),
            ),
            agents_base_url: pick(
                global.agents_base_url.as_ref(),
                sdk::AGENTS_BASE_URL,
                profile.agents_base_url.as_ref(),
            ),
            platform_base_url: pick(
                global.platform_base_url.as_ref(),
                sdk::PLATFORM_BASE_URL,
                profile.platform_base_url.as_ref(),
            ),
            profile: name,
        })
    }

    /// Builds the SDK client from these settings.
    pub fn client(&self) -> CliResult<Client> {
        use polyai_sdk::env as sdk;
        let Some(key) = &self.api_key else {
            return Err(CliError::config("no API key")
                .hint("export POLYAI_API_KEY (from Agent Studio, Settings > API keys), or store it in a profile with polyai profile add NAME --store-key"));
        };
        let mut builder = Client::builder()
            .api_key(key.value.as_str())
            .user_agent_suffix(concat!("polyai-cli/", env!("CARGO_PKG_VERSION")));
        if let Some(region) = &self.region {
            let region: Region = region
                .value
                .parse()
                .map_err(|e: polyai_sdk::UnknownRegion| {
                    CliError::usage(e.to_string()).hint("use one of us, uk, eu, studio")
                })?;
            builder = builder.region(region);
        }
        if let Some(url) = &self.base_url {
            builder = builder.base_url(url.value.as_str());
        }
        // The credentials of the families that take their own (Chat, Outbound, DNI) come from
        // the environment only, as the SDK reads them.
        if let Some(token) = env_var(sdk::CHAT_TOKEN) {
            builder = builder.chat_token(token);
        }
        if let Some(token) = env_var(sdk::OUTBOUND_TOKEN) {
            builder = builder.outbound_token(token);
        }
        if let Some(key) = env_var(sdk::DNI_API_KEY) {
            builder = builder.dni_api_key(key);
        }
        if let Some(url) = &self.agents_base_url {
            builder = builder.agents_base_url(url.value.as_str());
        }
        if let Some(url) = &self.platform_base_url {
            builder = builder.platform_base_url(url.value.as_str());
        }
        builder.build().map_err(|e| {
            let cli = CliError::from(e);
            CliError {
                code: crate::error::exit::CONFIG,
                hint: Some(
                    "set --region (or POLYAI_REGION) to us, uk, eu or studio, or give --base-url"
                        .to_string(),
                ),
                ..cli
            }
        })
    }

    fn required<'a>(
        setting: &'a Option<Setting>,
        what: &str,
        flag: &str,
        env: &str,
    ) -> CliResult<&'a str> {
        setting.as_ref().map(|s| s.value.as_str()).ok_or_else(|| {
            CliError::config(format!("no {what} id"))
                .hint(format!("give {flag}, set {env}, or add it to the profile"))
        })
    }

    /// The account id, or an error saying how to give it.
    pub fn account(&self) -> CliResult<&str> {
        Self::required(&self.account, "account", "--account", ACCOUNT_ENV)
    }

    /// The project id, or an error saying how to give it.
    pub fn project(&self) -> CliResult<&str> {
        Self::required(&self.project, "project", "--project", PROJECT_ENV)
    }

    /// The agent id, or an error saying how to give it.
    pub fn agent(&self) -> CliResult<&str> {
        Self::required(&self.agent, "agent", "--agent", AGENT_ENV)
    }

    /// Each setting as `(name, value shown, source)`; the key is shown only as set or not.
    pub fn describe(&self) -> Vec<(&'static str, String, String)> {
        use polyai_sdk::env as sdk;
        let profile = self.profile.as_deref();
        let row = |name, setting: &Option<Setting>, env: &str, secret: bool| match setting {
            Some(s) => (
                name,
                if secret {
                    "(set)".to_string()
                } else {
                    s.value.clone()
                },
                s.source.describe(env, profile),
            ),
            None => (name, "-".to_string(), "not set".to_string()),
        };
        vec![
            row("api key", &self.api_key, sdk::API_KEY, true),
            row("region", &self.region, sdk::REGION, false),
            row("account", &self.account, ACCOUNT_ENV, false),
            row("project", &self.project, PROJECT_ENV, false),
            row("agent", &self.agent, AGENT_ENV, false),
            row("base url", &self.base_url, sdk::BASE_URL, false),
            row(
                "agents base url",
                &self.agents_base_url,
                sdk::AGENTS_BASE_URL,
                false,
            ),
            row(
                "platform base url",
                &self.platform_base_url,
                sdk::PLATFORM_BASE_URL,
                false,
            ),
        ]
    }
}
