//! [`VariantAssignment`]: the variant a telephony connector update assigns, including "none".

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The `variantId` of a connector update (`UpdateConnectorRequest`, and each
/// `ConnectorUpdate` of a batch). PolyAI reads three states from that field: left out (the
/// assignment is unchanged: leave the request's `Option` as `None`), a variant id
/// ([`Variant`](VariantAssignment::Variant)) and JSON `null`
/// ([`Unassigned`](VariantAssignment::Unassigned), which clears the assignment). A plain
/// `Option<String>` could not send the third.
///
/// ```
/// use polyai_sdk::VariantAssignment;
/// use polyai_sdk::types::agents::UpdateConnectorRequest;
///
/// let clear = UpdateConnectorRequest {
///     variant_id: Some(VariantAssignment::Unassigned),
///     ..Default::default()
/// };
/// assert_eq!(serde_json::to_string(&clear).unwrap(), r#"{"variantId":null}"#);
/// let assign = UpdateConnectorRequest {
///     variant_id: Some("VARIANT-1".into()),
///     ..Default::default()
/// };
/// assert_eq!(serde_json::to_string(&assign).unwrap(), r#"{"variantId":"VARIANT-1"}"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum VariantAssignment {
    /// Assign this variant id.
    Variant(String),
    /// Clear the assignment (sent as JSON `null`).
    Unassigned,
}

impl Serialize for VariantAssignment {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            VariantAssignment::Variant(id) => serializer.serialize_str(id),
            VariantAssignment::Unassigned => serializer.serialize_none(),
        }
    }
}

impl<'de> Deserialize<'de> for VariantAssignment {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<String>::deserialize(deserializer)? {
            Some(id) => VariantAssignment::Variant(id),
            None => VariantAssignment::Unassigned,
        })
    }
}

impl From<String> for VariantAssignment {
    fn from(id: String) -> Self {
        VariantAssignment::Variant(id)
    }
}

impl From<&str> for VariantAssignment {
    fn from(id: &str) -> Self {
        VariantAssignment::Variant(id.to_owned())
    }
}
