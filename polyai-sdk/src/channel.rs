//! The channel a conversation used: an open set of values.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The channel a conversation used, as the v3 listing's `channel` filter takes it and as
/// conversations report it (`channel` of a listed conversation, of an agent conversation).
///
/// PolyAI documents no closed list: the values seen are `VOICE-SIP`, `WEBCHAT` and `CHAT`,
/// which have their own variants; any other value is kept as sent in [`Channel::Other`], so a
/// new channel never fails a decode. On the wire it is the plain string.
///
/// ```
/// use polyai_sdk::Channel;
///
/// let voice: Channel = serde_json::from_str(r#""VOICE-SIP""#).unwrap();
/// assert_eq!(voice, Channel::VoiceSip);
/// assert!(voice.is_voice());
/// let new: Channel = serde_json::from_str(r#""WHATSAPP""#).unwrap();
/// assert_eq!(new, Channel::Other("WHATSAPP".into()));
/// assert_eq!(serde_json::to_string(&new).unwrap(), r#""WHATSAPP""#);
/// assert_eq!(Channel::from("WEBCHAT"), Channel::Webchat);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Channel {
    /// `VOICE-SIP`: a phone call. Finished calls have a recording.
    VoiceSip,
    /// `WEBCHAT`: the web chat widget. No recording.
    Webchat,
    /// `CHAT`: a text chat (the Chat API, for example). No recording.
    Chat,
    /// Any other value, exactly as sent.
    Other(String),
}

impl Channel {
    /// The wire value of [`Channel::VoiceSip`].
    pub const VOICE_SIP: &'static str = "VOICE-SIP";
    /// The wire value of [`Channel::Webchat`].
    pub const WEBCHAT: &'static str = "WEBCHAT";
    /// The wire value of [`Channel::Chat`].
    pub const CHAT: &'static str = "CHAT";

    /// The value as PolyAI writes it.
    pub fn as_str(&self) -> &str {
        match self {
            Channel::VoiceSip => Self::VOICE_SIP,
            Channel::Webchat => Self::WEBCHAT,
            Channel::Chat => Self::CHAT,
            Channel::Other(value) => value,
        }
    }

    /// Whether this is a voice channel (`VOICE-SIP`, or another value starting with
    /// `VOICE`): the channels whose finished conversations have a recording.
    pub fn is_voice(&self) -> bool {
        match self {
            Channel::VoiceSip => true,
            Channel::Webchat | Channel::Chat => false,
            Channel::Other(value) => value
                .get(..5)
                .is_some_and(|start| start.eq_ignore_ascii_case("VOICE")),
        }
    }
}

impl From<&str> for Channel {
    fn from(value: &str) -> Self {
        match value {
            Self::VOICE_SIP => Channel::VoiceSip,
            Self::WEBCHAT => Channel::Webchat,
            Self::CHAT => Channel::Chat,
            other => Channel::Other(other.to_owned()),
        }
    }
}

impl From<String> for Channel {
    fn from(value: String) -> Self {
        match value.as_str() {
            Self::VOICE_SIP | Self::WEBCHAT | Self::CHAT => Channel::from(value.as_str()),
            _ => Channel::Other(value),
        }
    }
}

impl From<&String> for Channel {
    fn from(value: &String) -> Self {
        Channel::from(value.as_str())
    }
}

impl std::str::FromStr for Channel {
    type Err = std::convert::Infallible;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(Channel::from(value))
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Channel {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Channel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Channel::from)
    }
}

#[cfg(test)]
mod tests {
    use super::Channel;

    #[test]
    fn every_value_round_trips_through_serde() {
        for (wire, channel) in [
            ("VOICE-SIP", Channel::VoiceSip),
            ("WEBCHAT", Channel::Webchat),
            ("CHAT", Channel::Chat),
            ("voice-sip", Channel::Other("voice-sip".into())),
            ("SMS", Channel::Other("SMS".into())),
            ("", Channel::Other(String::new())),
        ] {
            let json = serde_json::to_string(wire).unwrap();
            let decoded: Channel = serde_json::from_str(&json).unwrap();
            assert_eq!(decoded, channel, "{wire}");
            assert_eq!(serde_json::to_string(&decoded).unwrap(), json);
            assert_eq!(decoded.to_string(), wire);
            assert_eq!(Channel::from(wire.to_owned()), channel);
        }
        assert!(serde_json::from_str::<Channel>("3").is_err());
    }

    #[test]
    fn voice_channels_are_the_ones_with_recordings() {
        assert!(Channel::VoiceSip.is_voice());
        assert!(Channel::from("VOICE-PSTN").is_voice());
        assert!(!Channel::Webchat.is_voice());
        assert!(!Channel::Chat.is_voice());
        assert!(!Channel::from("SMS").is_voice());
        assert!(!Channel::from("VOI").is_voice());
    }
}
