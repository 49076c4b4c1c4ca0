//! PolyAI regions and the hosts each API family lives on.
//!
//! PolyAI serves its public APIs from two families of hosts, and the family is chosen per
//! operation, not per document:
//!
//! | region | [`HostFamily::Agents`] | [`HostFamily::Platform`] |
//! |---|---|---|
//! | [`Region::Us`] | `https://api.us.poly.ai` | `https://api.us-1.platform.polyai.app` |
//! | [`Region::Uk`] | `https://api.uk.poly.ai` | `https://api.uk-1.platform.polyai.app` |
//! | [`Region::Eu`] | `https://api.eu.poly.ai` | `https://api.euw-1.platform.polyai.app` |
//! | [`Region::Studio`] | `https://api.studio.poly.ai` | `https://api.studio.poly.ai` |
//!
//! The Agents family serves every `/v1/agents/...` path (conversation detail, audio,
//! annotations, notes, debug chat, the Agents API), Webhooks and Alerts. The Platform family
//! serves Conversations v3 listing, Chat, Handoff, Outbound, Concurrent calls, DNI and
//! External events. The Studio region's platform host comes from PolyAI's prose only (no
//! published document lists it); override it with
//! [`ClientBuilder::platform_base_url`](crate::ClientBuilder::platform_base_url) if it fails.
//!
//! API keys are region-scoped: a key minted in one region's Studio gets `401` elsewhere.

use std::fmt;
use std::str::FromStr;

/// A PolyAI deployment region. Choose the one your Agent Studio account lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Region {
    /// United States (`studio.us.poly.ai`).
    Us,
    /// United Kingdom (`studio.uk.poly.ai`).
    Uk,
    /// European Union (`studio.eu.poly.ai`); its platform host is spelled `euw-1`.
    Eu,
    /// The self-serve Agent Studio (`studio.poly.ai`).
    Studio,
}

/// One of the two families of hosts PolyAI serves its APIs from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HostFamily {
    /// `api.{region}.poly.ai`: Agents API, agent-scoped data endpoints, debug chat, Webhooks,
    /// Alerts.
    Agents,
    /// `api.{region}-1.platform.polyai.app`: Conversations v3 listing, Chat, Handoff, Outbound,
    /// Concurrent calls, DNI, External events.
    Platform,
}

impl Region {
    /// Every region, in the order they are listed in error messages.
    pub const ALL: [Region; 4] = [Region::Us, Region::Uk, Region::Eu, Region::Studio];

    /// The region's name as accepted by [`FromStr`] and `POLYAI_REGION`.
    pub fn as_str(self) -> &'static str {
        match self {
            Region::Us => "us",
            Region::Uk => "uk",
            Region::Eu => "eu",
            Region::Studio => "studio",
        }
    }

    /// The base URL (scheme and host, no trailing slash) of `family` in this region.
    pub fn base_url(self, family: HostFamily) -> &'static str {
        match (family, self) {
            (HostFamily::Agents, Region::Us) => "https://api.us.poly.ai",
            (HostFamily::Agents, Region::Uk) => "https://api.uk.poly.ai",
            (HostFamily::Agents, Region::Eu) => "https://api.eu.poly.ai",
            (HostFamily::Agents, Region::Studio) => "https://api.studio.poly.ai",
            (HostFamily::Platform, Region::Us) => "https://api.us-1.platform.polyai.app",
            (HostFamily::Platform, Region::Uk) => "https://api.uk-1.platform.polyai.app",
            (HostFamily::Platform, Region::Eu) => "https://api.euw-1.platform.polyai.app",
            (HostFamily::Platform, Region::Studio) => "https://api.studio.poly.ai",
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error returned when a region name is not one PolyAI serves.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown PolyAI region `{given}`: expected one of us, uk, eu, studio \
     (the region of the Agent Studio your API key was created in)"
)]
pub struct UnknownRegion {
    /// The name that was given.
    pub given: String,
}

impl FromStr for Region {
    type Err = UnknownRegion;

    /// Parses a region name, case-insensitively. The platform-host spellings `us-1`, `uk-1`
    /// and `euw-1` are accepted as aliases.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "us" | "us-1" => Ok(Region::Us),
            "uk" | "uk-1" => Ok(Region::Uk),
            "eu" | "euw-1" => Ok(Region::Eu),
            "studio" => Ok(Region::Studio),
            _ => Err(UnknownRegion {
                given: s.to_string(),
            }),
        }
    }
}
