//! Branch-scoped agent settings of the Agents API: the behaviour rules, the variant
//! attributes and the variants. They live on a branch next to its knowledge-base topics (see
//! the `agents` module): `main` is read-only, a new branch copies `main`, and a merge brings
//! the branch's settings back to `main`.
//!
//! # Rules
//!
//! | situation | answer |
//! |---|---|
//! | `GET .../behavior` on a branch with no rules | 404 `AGENT_RULES_NOT_FOUND` ("Rules not found", as PolyAI words it) |
//! | `PATCH .../behavior` with an empty `behavior` | 400 `BAD_REQUEST` |
//! | an attribute name already used on the branch (case-insensitive) | 409 `ATTRIBUTES_DUPLICATE_NAME_ERROR` |
//! | an unknown attribute / variant id | 404 `ATTRIBUTE_NOT_FOUND` / `VARIANT_NOT_FOUND` |
//! | a variant name already used on the branch (case-insensitive) | 409 `VARIANTS_DUPLICATE_NAME_ERROR` |
//! | `attributeValues.values` naming an attribute id the branch does not have | 400 `VARIANTS_BAD_ATTRIBUTES_ERROR` |
//! | deleting the default variant, or setting `isDefault: false` on it | 400 `VARIANTS_REMOVE_DEFAULT_ERROR` |
//! | a write under `branches/main/...` | 422 `CANNOT_UPDATE_MAIN_BRANCH` |
//! | unknown body fields, empty names | 400 `BAD_REQUEST` |
//!
//! PolyAI documents the `VARIANTS_*` codes; the others are the mock's. PolyAI does not say how
//! `attributeValues.values` is keyed: the mock keys it by **attribute id** (ids survive a
//! rename). The first variant of a branch becomes its default; creating or updating a variant
//! with `isDefault: true` makes it the only default. Deleting an attribute removes every
//! variant's value for it.
//!
//! # Merging
//!
//! A merge compares two parts of these settings three ways (the `main` the branch started
//! from, the branch, and `main` now): `["behavior"]` and `["variants"]` (attributes and
//! variants together, since values refer to attributes). A part changed on one side only
//! takes that side; a part changed differently on both sides is a conflict listed in the
//! merge's 400 answer with that `path`, settled by a `conflictResolutions` entry with the
//! same path (`ours`, `theirs` or `base`; for `["behavior"]` a string `value` may be given).

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::envelope::{ApiError, json_response};
use crate::request::{Reply, Req};

/// The behaviour rules every sample agent starts with on `main`.
pub(crate) const SAMPLE_BEHAVIOR: &str = "Be warm and concise. Confirm the caller's name before \
     discussing an order, and never share another customer's details.";

/// The name of the attribute every sample agent starts with.
const SAMPLE_ATTRIBUTE: &str = "site_name";

/// Conflict path of the behaviour rules.
const BEHAVIOR_PATH: &str = "behavior";
/// Conflict path of the attributes and variants.
const VARIANTS_PATH: &str = "variants";

/// A variant attribute: a named field every variant may give a value for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attribute {
    id: String,
    name: String,
}

/// A variant of the agent, with its attribute values keyed by attribute id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Variant {
    id: String,
    name: String,
    is_default: bool,
    values: BTreeMap<String, String>,
}

impl Variant {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "isDefault": self.is_default,
            "attributeValues": {"values": self.values},
        })
    }
}

/// The settings one branch holds besides its knowledge base.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BranchConfig {
    behavior: Option<String>,
    attributes: Vec<Attribute>,
    variants: Vec<Variant>,
}

/// How one merge conflict was settled (see [`merge`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Choice<'a> {
    /// The branch's side.
    Ours,
    /// `main`'s side.
    Theirs,
    /// The side both started from.
    Base,
    /// An explicit value.
    Value(&'a Value),
}

impl BranchConfig {
    /// What a sample agent's `main` holds: the behaviour rules, one attribute and one default
    /// variant giving it a value. `ids` makes the attribute and the variant id, in that order.
    pub(crate) fn sample(attribute_id: String, variant_id: String) -> BranchConfig {
        let mut values = BTreeMap::new();
        values.insert(attribute_id.clone(), "Main street".to_owned());
        BranchConfig {
            behavior: Some(SAMPLE_BEHAVIOR.to_owned()),
            attributes: vec![Attribute {
                id: attribute_id,
                name: SAMPLE_ATTRIBUTE.to_owned(),
            }],
            variants: vec![Variant {
                id: variant_id,
                name: "Main street".to_owned(),
                is_default: true,
                values,
            }],
        }
    }

    /// A stable text form of everything held, for deployment version hashes.
    pub(crate) fn fingerprint(&self) -> String {
        let attributes: Vec<Value> = self
            .attributes
            .iter()
            .map(|a| json!([a.id, a.name]))
            .collect();
        let variants: Vec<Value> = self.variants.iter().map(Variant::to_json).collect();
        json!([self.behavior, attributes, variants]).to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
}

fn attribute_not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "ATTRIBUTE_NOT_FOUND",
        format!("Attribute {id} does not exist on this branch."),
    )
}

fn variant_not_found(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "VARIANT_NOT_FOUND",
        format!("Variant {id} does not exist on this branch."),
    )
}

fn remove_default() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "VARIANTS_REMOVE_DEFAULT_ERROR",
        "The default variant cannot be removed: make another variant the default first.",
    )
}

/// Parses a JSON body with the generic Agents API error for bad bodies.
fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    crate::request::parse_json(
        body,
        None,
        crate::request::bad_request,
        crate::request::bad_request,
    )
}

fn non_empty(field: &str, text: &str) -> Result<String, ApiError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(bad_request(format!("{field} must not be empty.")));
    }
    Ok(trimmed.to_owned())
}

// ---------------------------------------------------------------------------------------------
// Behaviour

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BehaviorBody {
    behavior: String,
}

/// `GET .../behavior`: 200 `{behavior}`, or 404 when none is set.
pub(crate) fn get_behavior(cfg: &BranchConfig) -> Result<(StatusCode, Value), ApiError> {
    match &cfg.behavior {
        Some(text) => Ok((StatusCode::OK, json!({ "behavior": text }))),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "AGENT_RULES_NOT_FOUND",
            "Rules not found: this branch has no behaviour rules yet; set them with PATCH.",
        )),
    }
}

/// `PATCH .../behavior`: replaces the rules; 200 `{behavior}`.
pub(crate) fn update_behavior(
    cfg: &mut BranchConfig,
    body: &[u8],
) -> Result<(StatusCode, Value), ApiError> {
    let req: BehaviorBody = parse(body)?;
    if req.behavior.trim().is_empty() {
        return Err(bad_request("behavior must not be empty."));
    }
    cfg.behavior = Some(req.behavior.clone());
    Ok((StatusCode::OK, json!({ "behavior": req.behavior })))
}

// ---------------------------------------------------------------------------------------------
// Attributes

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AttributeBody {
    name: String,
}

fn check_attribute_name(cfg: &BranchConfig, name: &str, except: &str) -> Result<(), ApiError> {
    if cfg
        .attributes
        .iter()
        .any(|a| a.id != except && a.name.eq_ignore_ascii_case(name))
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "ATTRIBUTES_DUPLICATE_NAME_ERROR",
            format!("An attribute named {name:?} already exists on this branch."),
        ));
    }
    Ok(())
}

/// `GET .../attributes`: 200 `{attributes: [{id, name}]}`.
pub(crate) fn list_attributes(cfg: &BranchConfig) -> (StatusCode, Value) {
    let list: Vec<Value> = cfg
        .attributes
        .iter()
        .map(|a| json!({"id": a.id, "name": a.name}))
        .collect();
    (StatusCode::OK, json!({ "attributes": list }))
}

/// `POST .../attributes`: 201 `{id, name}`.
pub(crate) fn create_attribute(
    cfg: &mut BranchConfig,
    new_id: String,
    body: &[u8],
) -> Result<(StatusCode, Value), ApiError> {
    let req: AttributeBody = parse(body)?;
    let name = non_empty("name", &req.name)?;
    check_attribute_name(cfg, &name, "")?;
    let answer = json!({"id": new_id, "name": name});
    cfg.attributes.push(Attribute { id: new_id, name });
    Ok((StatusCode::CREATED, answer))
}

/// `PATCH .../attributes/{attributeId}`: renames; 200 `{id, name}`.
pub(crate) fn update_attribute(
    cfg: &mut BranchConfig,
    attribute_id: &str,
    body: &[u8],
) -> Result<(StatusCode, Value), ApiError> {
    let req: AttributeBody = parse(body)?;
    let name = non_empty("name", &req.name)?;
    if !cfg.attributes.iter().any(|a| a.id == attribute_id) {
        return Err(attribute_not_found(attribute_id));
    }
    check_attribute_name(cfg, &name, attribute_id)?;
    let attribute = cfg
        .attributes
        .iter_mut()
        .find(|a| a.id == attribute_id)
        .ok_or_else(|| attribute_not_found(attribute_id))?;
    attribute.name = name;
    Ok((
        StatusCode::OK,
        json!({"id": attribute.id, "name": attribute.name}),
    ))
}

/// `DELETE .../attributes/{attributeId}`: removes it and every variant's value for it;
/// 200 `{id}`.
pub(crate) fn delete_attribute(
    cfg: &mut BranchConfig,
    attribute_id: &str,
) -> Result<(StatusCode, Value), ApiError> {
    let i = cfg
        .attributes
        .iter()
        .position(|a| a.id == attribute_id)
        .ok_or_else(|| attribute_not_found(attribute_id))?;
    cfg.attributes.remove(i);
    for variant in &mut cfg.variants {
        variant.values.remove(attribute_id);
    }
    Ok((StatusCode::OK, json!({ "id": attribute_id })))
}

// ---------------------------------------------------------------------------------------------
// Variants

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ValuesInput {
    #[serde(default)]
    values: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateVariantBody {
    name: String,
    attribute_values: Option<ValuesInput>,
    is_default: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UpdateVariantBody {
    name: Option<String>,
    attribute_values: Option<ValuesInput>,
    is_default: Option<bool>,
}

fn check_variant_name(cfg: &BranchConfig, name: &str, except: &str) -> Result<(), ApiError> {
    if cfg
        .variants
        .iter()
        .any(|v| v.id != except && v.name.eq_ignore_ascii_case(name))
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "VARIANTS_DUPLICATE_NAME_ERROR",
            format!("A variant named {name:?} already exists on this branch."),
        ));
    }
    Ok(())
}

fn check_values(cfg: &BranchConfig, values: &BTreeMap<String, String>) -> Result<(), ApiError> {
    let unknown: Vec<&str> = values
        .keys()
        .filter(|k| !cfg.attributes.iter().any(|a| &a.id == *k))
        .map(String::as_str)
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::BAD_REQUEST,
        "VARIANTS_BAD_ATTRIBUTES_ERROR",
        format!(
            "attributeValues.values names attributes this branch does not have: {}. Key the values \
             by attribute id (list them with GET .../attributes).",
            unknown.join(", ")
        ),
    ))
}

fn make_default(cfg: &mut BranchConfig, id: &str) {
    for variant in &mut cfg.variants {
        variant.is_default = variant.id == id;
    }
}

/// `GET .../variants`: 200 `{variants: [...]}`.
pub(crate) fn list_variants(cfg: &BranchConfig) -> (StatusCode, Value) {
    let list: Vec<Value> = cfg.variants.iter().map(Variant::to_json).collect();
    (StatusCode::OK, json!({ "variants": list }))
}

/// `POST .../variants`: 201 with the variant.
pub(crate) fn create_variant(
    cfg: &mut BranchConfig,
    new_id: String,
    body: &[u8],
) -> Result<(StatusCode, Value), ApiError> {
    let req: CreateVariantBody = parse(body)?;
    let name = non_empty("name", &req.name)?;
    check_variant_name(cfg, &name, "")?;
    let values = req.attribute_values.unwrap_or_default().values;
    check_values(cfg, &values)?;
    let is_default = req.is_default.unwrap_or(false) || cfg.variants.is_empty();
    cfg.variants.push(Variant {
        id: new_id.clone(),
        name,
        is_default,
        values,
    });
    if is_default {
        make_default(cfg, &new_id);
    }
    let variant = cfg
        .variants
        .iter()
        .find(|v| v.id == new_id)
        .ok_or_else(|| variant_not_found(&new_id))?;
    Ok((StatusCode::CREATED, variant.to_json()))
}

/// `PATCH .../variants/{variantId}`: changes the fields sent; 200 with the variant.
/// `attributeValues.values` replaces the variant's values as a whole.
pub(crate) fn update_variant(
    cfg: &mut BranchConfig,
    variant_id: &str,
    body: &[u8],
) -> Result<(StatusCode, Value), ApiError> {
    let req: UpdateVariantBody = parse(body)?;
    let current = cfg
        .variants
        .iter()
        .find(|v| v.id == variant_id)
        .ok_or_else(|| variant_not_found(variant_id))?;
    if current.is_default && req.is_default == Some(false) {
        return Err(remove_default());
    }
    let name = match &req.name {
        Some(name) => {
            let name = non_empty("name", name)?;
            check_variant_name(cfg, &name, variant_id)?;
            Some(name)
        }
        None => None,
    };
    if let Some(values) = &req.attribute_values {
        check_values(cfg, &values.values)?;
    }
    let variant = cfg
        .variants
        .iter_mut()
        .find(|v| v.id == variant_id)
        .ok_or_else(|| variant_not_found(variant_id))?;
    if let Some(name) = name {
        variant.name = name;
    }
    if let Some(values) = req.attribute_values {
        variant.values = values.values;
    }
    if req.is_default == Some(true) {
        make_default(cfg, variant_id);
    }
    let variant = cfg
        .variants
        .iter()
        .find(|v| v.id == variant_id)
        .ok_or_else(|| variant_not_found(variant_id))?;
    Ok((StatusCode::OK, variant.to_json()))
}

/// `DELETE .../variants/{variantId}`: 200 `{id}`; the default variant stays (400).
pub(crate) fn delete_variant(
    cfg: &mut BranchConfig,
    variant_id: &str,
) -> Result<(StatusCode, Value), ApiError> {
    let i = cfg
        .variants
        .iter()
        .position(|v| v.id == variant_id)
        .ok_or_else(|| variant_not_found(variant_id))?;
    if cfg.variants[i].is_default {
        return Err(remove_default());
    }
    cfg.variants.remove(i);
    Ok((StatusCode::OK, json!({ "id": variant_id })))
}

// ---------------------------------------------------------------------------------------------
// Handlers (rows of the route table)

/// Answers from a branch's settings, read only (`main` included).
fn read(
    req: &Req<'_>,
    f: impl FnOnce(&BranchConfig) -> Result<(StatusCode, Value), ApiError>,
) -> Reply {
    let mut store = req.app.store();
    let cfg = store
        .agents
        .branch_config(req.app, req.param("agentId"), req.param("branchId"))?;
    let (status, value) = f(cfg)?;
    Ok(json_response(status, &value))
}

/// Changes a branch's settings (422 on `main`); `new_id` makes an id for a created item.
fn write(
    req: &Req<'_>,
    new_id: Option<fn(&mut crate::agents::AgentStore, &crate::state::App) -> String>,
    f: impl FnOnce(&mut BranchConfig, String) -> Result<(StatusCode, Value), ApiError>,
) -> Reply {
    let mut store = req.app.store();
    let id = new_id
        .map(|make| make(&mut store.agents, req.app))
        .unwrap_or_default();
    let cfg =
        store
            .agents
            .branch_config_mut(req.app, req.param("agentId"), req.param("branchId"))?;
    let (status, value) = f(cfg, id)?;
    Ok(json_response(status, &value))
}

/// `GET /v1/agents/{agentId}/branches/{branchId}/behavior`
pub(crate) fn get_behavior_route(req: &Req<'_>) -> Reply {
    read(req, get_behavior)
}

/// `PATCH /v1/agents/{agentId}/branches/{branchId}/behavior`
pub(crate) fn update_behavior_route(req: &Req<'_>) -> Reply {
    write(req, None, |cfg, _| update_behavior(cfg, req.body))
}

/// `GET .../branches/{branchId}/attributes`
pub(crate) fn list_attributes_route(req: &Req<'_>) -> Reply {
    read(req, |cfg| Ok(list_attributes(cfg)))
}

/// `POST .../branches/{branchId}/attributes`
pub(crate) fn create_attribute_route(req: &Req<'_>) -> Reply {
    write(
        req,
        Some(crate::agents::AgentStore::new_attribute_id),
        |cfg, id| create_attribute(cfg, id, req.body),
    )
}

/// `PATCH .../attributes/{attributeId}`
pub(crate) fn update_attribute_route(req: &Req<'_>) -> Reply {
    write(req, None, |cfg, _| {
        update_attribute(cfg, req.param("attributeId"), req.body)
    })
}

/// `DELETE .../attributes/{attributeId}`
pub(crate) fn delete_attribute_route(req: &Req<'_>) -> Reply {
    write(req, None, |cfg, _| {
        delete_attribute(cfg, req.param("attributeId"))
    })
}

/// `GET .../branches/{branchId}/variants`
pub(crate) fn list_variants_route(req: &Req<'_>) -> Reply {
    read(req, |cfg| Ok(list_variants(cfg)))
}

/// `POST .../branches/{branchId}/variants`
pub(crate) fn create_variant_route(req: &Req<'_>) -> Reply {
    write(
        req,
        Some(crate::agents::AgentStore::new_variant_id),
        |cfg, id| create_variant(cfg, id, req.body),
    )
}

/// `PATCH .../variants/{variantId}`
pub(crate) fn update_variant_route(req: &Req<'_>) -> Reply {
    write(req, None, |cfg, _| {
        update_variant(cfg, req.param("variantId"), req.body)
    })
}

/// `DELETE .../variants/{variantId}`
pub(crate) fn delete_variant_route(req: &Req<'_>) -> Reply {
    write(req, None, |cfg, _| {
        delete_variant(cfg, req.param("variantId"))
    })
}

// ---------------------------------------------------------------------------------------------
// Merging

fn conflict(path: &str, base: Value, ours: Value, theirs: Value) -> Value {
    json!({"path": [path], "base": base, "ours": ours, "theirs": theirs})
}

fn variants_json(cfg: &BranchConfig) -> Value {
    let attributes: Vec<Value> = cfg
        .attributes
        .iter()
        .map(|a| json!({"id": a.id, "name": a.name}))
        .collect();
    let variants: Vec<Value> = cfg.variants.iter().map(Variant::to_json).collect();
    json!({"attributes": attributes, "variants": variants})
}

/// Three-way merge of a branch's settings into `main`. `base` is the `main` the branch started
/// from, `ours` the branch, `theirs` the current `main`; `resolve` answers how a conflict at a
/// path was settled, if it was. Returns the merged settings and the conflicts left (as the
/// merge's 400 lists them); a resolution `value` that does not fit its part is a 400.
pub(crate) fn merge<'v>(
    base: &BranchConfig,
    ours: &BranchConfig,
    theirs: &BranchConfig,
    resolve: &dyn Fn(&[String]) -> Option<Choice<'v>>,
) -> Result<(BranchConfig, Vec<Value>), ApiError> {
    let mut merged = theirs.clone();
    let mut conflicts = Vec::new();

    if ours.behavior != base.behavior && ours.behavior != theirs.behavior {
        if theirs.behavior == base.behavior {
            merged.behavior.clone_from(&ours.behavior);
        } else {
            match resolve(&[BEHAVIOR_PATH.to_owned()]) {
                Some(Choice::Ours) => merged.behavior.clone_from(&ours.behavior),
                Some(Choice::Theirs) => {}
                Some(Choice::Base) => merged.behavior.clone_from(&base.behavior),
                Some(Choice::Value(value)) => {
                    merged.behavior = match value {
                        Value::Null => None,
                        Value::String(text) if !text.trim().is_empty() => Some(text.clone()),
                        _ => {
                            return Err(bad_request(
                                "conflictResolutions value for [\"behavior\"] must be a non-empty \
                                 string or null.",
                            ));
                        }
                    };
                }
                None => conflicts.push(conflict(
                    BEHAVIOR_PATH,
                    json!(base.behavior),
                    json!(ours.behavior),
                    json!(theirs.behavior),
                )),
            }
        }
    }

    let part = |c: &BranchConfig| (c.attributes.clone(), c.variants.clone());
    let (b, o, t) = (part(base), part(ours), part(theirs));
    if o != b && o != t {
        if t == b {
            (merged.attributes, merged.variants) = o;
        } else {
            match resolve(&[VARIANTS_PATH.to_owned()]) {
                Some(Choice::Ours) => (merged.attributes, merged.variants) = o,
                Some(Choice::Theirs) => {}
                Some(Choice::Base) => (merged.attributes, merged.variants) = b,
                Some(Choice::Value(_)) => {
                    return Err(bad_request(
                        "conflictResolutions for [\"variants\"] take a strategy (ours, theirs or \
                         base), not a value.",
                    ));
                }
                None => conflicts.push(conflict(
                    VARIANTS_PATH,
                    variants_json(base),
                    variants_json(ours),
                    variants_json(theirs),
                )),
            }
        }
    }
    Ok((merged, conflicts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> BranchConfig {
        BranchConfig::sample("ATTRIBUTE-1".into(), "VARIANT-1".into())
    }

    fn ok(result: Result<(StatusCode, Value), ApiError>) -> (StatusCode, Value) {
        result.unwrap_or_else(|e| panic!("{} {}", e.code, e.message))
    }

    fn code(result: Result<(StatusCode, Value), ApiError>) -> (StatusCode, &'static str) {
        match result {
            Ok(v) => panic!("expected an error, got {v:?}"),
            Err(e) => (e.status, e.code),
        }
    }

    #[test]
    fn behavior_round_trips_and_missing_rules_are_404() {
        let mut cfg = BranchConfig::default();
        assert_eq!(
            code(get_behavior(&cfg)),
            (StatusCode::NOT_FOUND, "AGENT_RULES_NOT_FOUND")
        );
        ok(update_behavior(&mut cfg, br#"{"behavior":"Be brief."}"#));
        assert_eq!(ok(get_behavior(&cfg)).1["behavior"], "Be brief.");
        assert_eq!(
            code(update_behavior(&mut cfg, br#"{"behavior":"  "}"#)).1,
            "BAD_REQUEST"
        );
        assert_eq!(
            code(update_behavior(&mut cfg, br#"{"behavior":"x","extra":1}"#)).1,
            "BAD_REQUEST"
        );
    }

    #[test]
    fn attributes_are_unique_and_deleting_one_drops_its_values() {
        let mut cfg = sample();
        let (status, made) = ok(create_attribute(
            &mut cfg,
            "ATTRIBUTE-2".into(),
            br#"{"name":"hours"}"#,
        ));
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(made, json!({"id": "ATTRIBUTE-2", "name": "hours"}));
        assert_eq!(
            code(create_attribute(
                &mut cfg,
                "ATTRIBUTE-3".into(),
                br#"{"name":"HOURS"}"#
            )),
            (StatusCode::CONFLICT, "ATTRIBUTES_DUPLICATE_NAME_ERROR")
        );
        ok(update_attribute(
            &mut cfg,
            "ATTRIBUTE-2",
            br#"{"name":"opening_hours"}"#,
        ));
        assert_eq!(
            list_attributes(&cfg).1["attributes"][1]["name"],
            "opening_hours"
        );
        ok(delete_attribute(&mut cfg, "ATTRIBUTE-1"));
        assert!(cfg.variants[0].values.is_empty());
        assert_eq!(
            code(delete_attribute(&mut cfg, "ATTRIBUTE-1")).1,
            "ATTRIBUTE_NOT_FOUND"
        );
    }

    #[test]
    fn variants_keep_exactly_one_default() {
        let mut cfg = sample();
        let (_, v2) = ok(create_variant(
            &mut cfg,
            "VARIANT-2".into(),
            br#"{"name":"Airport","attributeValues":{"values":{"ATTRIBUTE-1":"Terminal 5"}}}"#,
        ));
        assert_eq!(v2["isDefault"], false);
        assert_eq!(v2["attributeValues"]["values"]["ATTRIBUTE-1"], "Terminal 5");
        assert_eq!(
            code(create_variant(
                &mut cfg,
                "VARIANT-3".into(),
                br#"{"name":"x","attributeValues":{"values":{"nope":"1"}}}"#
            )),
            (StatusCode::BAD_REQUEST, "VARIANTS_BAD_ATTRIBUTES_ERROR")
        );
        assert_eq!(
            code(create_variant(
                &mut cfg,
                "VARIANT-3".into(),
                br#"{"name":"airport"}"#
            )),
            (StatusCode::CONFLICT, "VARIANTS_DUPLICATE_NAME_ERROR")
        );
        assert_eq!(
            code(delete_variant(&mut cfg, "VARIANT-1")).1,
            "VARIANTS_REMOVE_DEFAULT_ERROR"
        );
        assert_eq!(
            code(update_variant(
                &mut cfg,
                "VARIANT-1",
                br#"{"isDefault":false}"#
            ))
            .1,
            "VARIANTS_REMOVE_DEFAULT_ERROR"
        );
        ok(update_variant(
            &mut cfg,
            "VARIANT-2",
            br#"{"isDefault":true}"#,
        ));
        let list = list_variants(&cfg).1;
        assert_eq!(list["variants"][0]["isDefault"], false);
        assert_eq!(list["variants"][1]["isDefault"], true);
        ok(delete_variant(&mut cfg, "VARIANT-1"));
        assert_eq!(cfg.variants.len(), 1);
    }

    #[test]
    fn the_first_variant_is_the_default() {
        let mut cfg = BranchConfig::default();
        let (_, v) = ok(create_variant(&mut cfg, "V".into(), br#"{"name":"Only"}"#));
        assert_eq!(v["isDefault"], true);
    }

    #[test]
    fn merges_take_the_changed_side_and_report_conflicts() {
        let base = sample();
        let mut ours = base.clone();
        ok(update_behavior(&mut ours, br#"{"behavior":"ours"}"#));
        let none = |_: &[String]| None;
        let (merged, conflicts) =
            merge(&base, &ours, &base, &none).unwrap_or_else(|e| panic!("{}", e.message));
        assert!(conflicts.is_empty());
        assert_eq!(merged.behavior.as_deref(), Some("ours"));

        let mut theirs = base.clone();
        ok(update_behavior(&mut theirs, br#"{"behavior":"theirs"}"#));
        ok(create_variant(
            &mut ours,
            "V2".into(),
            br#"{"name":"Second"}"#,
        ));
        let (merged, conflicts) =
            merge(&base, &ours, &theirs, &none).unwrap_or_else(|e| panic!("{}", e.message));
        assert_eq!(conflicts.len(), 1);
        assert_eq!(conflicts[0]["path"], json!(["behavior"]));
        assert_eq!(
            merged.variants.len(),
            2,
            "the variants part changed on one side only"
        );

        let value = json!("settled");
        let settle = |path: &[String]| (path == ["behavior"]).then_some(Choice::Value(&value));
        let (merged, conflicts) =
            merge(&base, &ours, &theirs, &settle).unwrap_or_else(|e| panic!("{}", e.message));
        assert!(conflicts.is_empty());
        assert_eq!(merged.behavior.as_deref(), Some("settled"));
    }
}
