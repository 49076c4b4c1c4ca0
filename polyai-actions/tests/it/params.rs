//! Parameter validation: one test per keyword message, conditional enums, nested paths.

use polyai_actions::{ApiAction, Method, ParameterValidator};
use serde_json::{Value, json};

fn messages(schema: Value, params: Value) -> Vec<String> {
    let v = ParameterValidator::new(&schema).unwrap();
    match v.validate(&params) {
        Ok(()) => Vec::new(),
        Err(e) => e.iter().map(|e| e.message.clone()).collect(),
    }
}

fn one(schema: Value, params: Value) -> String {
    let m = messages(schema, params);
    assert_eq!(m.len(), 1, "{m:?}");
    m.into_iter().next().unwrap()
}

fn obj(props: Value) -> Value {
    json!({"type": "object", "properties": props})
}

#[test]
fn required_at_root_and_nested() {
    let schema = json!({
        "type": "object",
        "properties": {"customer": {"type": "object", "properties": {"email": {"type": "string"}}, "required": ["email"]}},
        "required": ["customer", "order_number"]
    });
    assert_eq!(
        one(schema.clone(), json!({"customer": {"email": "a@b.c"}})),
        "`order_number` is required"
    );
    assert_eq!(
        one(schema.clone(), json!({"customer": {}, "order_number": "x"})),
        "`customer.email` is required"
    );
    let errs = ParameterValidator::new(&schema)
        .unwrap()
        .validate(&json!({"customer": {}, "order_number": "x"}))
        .unwrap_err();
    assert_eq!(errs.errors[0].field, "customer.email");
    assert_eq!(errs.errors[0].keyword, "required");
}

#[test]
fn enum_lists_the_options() {
    assert_eq!(
        one(
            obj(json!({"priority": {"enum": ["low", "medium", "high"]}})),
            json!({"priority": "urgent"})
        ),
        "`priority` must be one of low, medium, high"
    );
    assert_eq!(
        one(obj(json!({"n": {"enum": [1, 2, null]}})), json!({"n": 3})),
        "`n` must be one of 1, 2, null"
    );
}

#[test]
fn const_value() {
    assert_eq!(
        one(
            obj(json!({"kind": {"const": "refund"}})),
            json!({"kind": "sale"})
        ),
        "`kind` must be exactly refund"
    );
}

#[test]
fn type_names_both_sides() {
    assert_eq!(
        one(
            obj(json!({"quantity": {"type": "integer"}})),
            json!({"quantity": "2"})
        ),
        "`quantity` must be an integer, not a string"
    );
    assert_eq!(
        one(
            obj(json!({"x": {"type": ["string", "null"]}})),
            json!({"x": 1.5})
        ),
        "`x` must be null or a string, not a number"
    );
    assert_eq!(
        one(json!({"type": "object"}), json!([1])),
        "the parameters must be an object, not an array"
    );
}

#[test]
fn numeric_limits() {
    let s = obj(json!({"quantity": {"type": "integer", "minimum": 1, "maximum": 10}}));
    assert_eq!(
        one(s.clone(), json!({"quantity": 0})),
        "`quantity` must be at least 1"
    );
    assert_eq!(
        one(s, json!({"quantity": 11})),
        "`quantity` must be at most 10"
    );
    let s = obj(json!({"p": {"exclusiveMinimum": 0, "exclusiveMaximum": 100.5}}));
    assert_eq!(
        one(s.clone(), json!({"p": 0})),
        "`p` must be greater than 0"
    );
    assert_eq!(one(s, json!({"p": 100.5})), "`p` must be less than 100.5");
    assert_eq!(
        one(
            obj(json!({"amount": {"multipleOf": 0.5}})),
            json!({"amount": 0.7})
        ),
        "`amount` must be a multiple of 0.5"
    );
}

#[test]
fn string_limits_and_pattern() {
    let s = obj(
        json!({"code": {"type": "string", "minLength": 3, "maxLength": 4, "pattern": "^[A-Z]+$"}}),
    );
    assert_eq!(
        one(s.clone(), json!({"code": "AB"})),
        "`code` must be at least 3 characters long"
    );
    assert_eq!(
        one(s.clone(), json!({"code": "ABCDE"})),
        "`code` must be at most 4 characters long"
    );
    assert_eq!(
        one(s, json!({"code": "abc"})),
        "`code` must match the pattern ^[A-Z]+$"
    );
    assert_eq!(
        one(obj(json!({"c": {"minLength": 1}})), json!({"c": ""})),
        "`c` must be at least 1 character long"
    );
}

#[test]
fn format_is_checked_by_default_and_can_be_turned_off() {
    let s = obj(json!({"email": {"type": "string", "format": "email"}}));
    assert_eq!(
        one(s.clone(), json!({"email": "not an email"})),
        "`email` must be a valid email"
    );
    let lax = ParameterValidator::with_formats(&s, false).unwrap();
    assert!(lax.validate(&json!({"email": "not an email"})).is_ok());
}

#[test]
fn additional_properties() {
    let s = json!({
        "type": "object",
        "properties": {"customer": {"type": "object", "properties": {"name": {}}, "additionalProperties": false}},
        "additionalProperties": false
    });
    assert_eq!(
        one(
            s.clone(),
            json!({"customer": {"name": "a", "nickname": "b"}})
        ),
        "`customer.nickname` is not an accepted field; remove it"
    );
    assert_eq!(
        one(s, json!({"x": 1, "y": 2})),
        "`x`, `y` are not accepted fields; remove them"
    );
}

#[test]
fn array_limits_and_item_paths() {
    let s = obj(json!({"items": {
        "type": "array", "minItems": 1, "maxItems": 2, "uniqueItems": true,
        "items": {"type": "object", "properties": {"sku": {"type": "string"}}, "required": ["sku"]}
    }}));
    assert_eq!(
        one(s.clone(), json!({"items": []})),
        "`items` must have at least 1 item"
    );
    assert_eq!(
        one(
            s.clone(),
            json!({"items": [{"sku": "a"}, {"sku": "b"}, {"sku": "c"}]})
        ),
        "`items` must have at most 2 items"
    );
    assert_eq!(
        one(s.clone(), json!({"items": [{"sku": "a"}, {"sku": "a"}]})),
        "`items` must not contain the same item twice"
    );
    assert_eq!(
        one(s, json!({"items": [{"sku": "a"}, {}]})),
        "`items[1].sku` is required"
    );
}

#[test]
fn object_size_limits() {
    let s = obj(json!({"filters": {"type": "object", "minProperties": 1, "maxProperties": 2}}));
    assert_eq!(
        one(s.clone(), json!({"filters": {}})),
        "`filters` must have at least 1 field"
    );
    assert_eq!(
        one(s, json!({"filters": {"a": 1, "b": 2, "c": 3}})),
        "`filters` must have at most 2 fields"
    );
}

#[test]
fn conditional_enum_through_all_of_if_then() {
    let schema = json!({
        "type": "object",
        "properties": {
            "country": {"enum": ["UK", "US"]},
            "region": {"type": "string"}
        },
        "required": ["country"],
        "allOf": [
            {"if": {"properties": {"country": {"const": "UK"}}}, "then": {"properties": {"region": {"enum": ["England", "Scotland", "Wales"]}}, "required": ["region"]}},
            {"if": {"properties": {"country": {"const": "US"}}}, "then": {"properties": {"region": {"enum": ["CA", "NY"]}}}}
        ]
    });
    let v = ParameterValidator::new(&schema).unwrap();
    assert!(
        v.validate(&json!({"country": "UK", "region": "Wales"}))
            .is_ok()
    );
    assert!(v.validate(&json!({"country": "US"})).is_ok());
    assert_eq!(
        one(schema.clone(), json!({"country": "UK", "region": "CA"})),
        "`region` must be one of England, Scotland, Wales"
    );
    assert_eq!(
        one(schema.clone(), json!({"country": "UK"})),
        "`region` is required"
    );
    assert_eq!(
        one(schema, json!({"country": "US", "region": "Wales"})),
        "`region` must be one of CA, NY"
    );
}

#[test]
fn several_problems_are_all_reported() {
    let s = json!({
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"minimum": 5}},
        "required": ["c"]
    });
    let m = messages(s, json!({"a": 1, "b": 2}));
    assert_eq!(m.len(), 3, "{m:?}");
    assert!(m.contains(&"`a` must be a string, not an integer".to_owned()));
    assert!(m.contains(&"`b` must be at least 5".to_owned()));
    assert!(m.contains(&"`c` is required".to_owned()));
}

#[test]
fn fallback_names_the_field() {
    let s = obj(json!({"x": {"not": {"type": "string"}}}));
    let m = one(s, json!({"x": "s"}));
    assert!(m.starts_with("`x` is not accepted: "), "{m}");
}

#[test]
fn odd_keys_are_quoted_in_paths() {
    let s = obj(json!({"order number": {"type": "object", "required": ["a.b"]}}));
    assert_eq!(
        one(s, json!({"order number": {}})),
        r#"`["order number"]["a.b"]` is required"#
    );
}

#[test]
fn invalid_schema_is_refused() {
    let err =
        ParameterValidator::new(&json!({"type": "object", "properties": {"a": {"type": "strin"}}}))
            .unwrap_err();
    assert!(
        err.to_string().contains("not a valid Draft 7 schema"),
        "{err}"
    );
    assert!(err.pointer.contains("properties"), "{err:?}");
    let err = ParameterValidator::new(&json!({"minLength": -1})).unwrap_err();
    assert!(err.to_string().contains("minLength"), "{err}");
}

#[test]
fn action_validate_parameters_and_an_invalid_schema() {
    let mut action = ApiAction::new("a", "https://x.example", Method::Post);
    action.parameters = json!({"type": "object", "properties": {"q": {"type": "integer"}}});
    assert!(action.validate_parameters(&json!({"q": 1})).is_ok());
    assert_eq!(
        action
            .validate_parameters(&json!({"q": 1.5}))
            .unwrap_err()
            .to_string(),
        "`q` must be an integer, not a number"
    );
    action.parameters = json!({"type": 5});
    let err = action.validate_parameters(&json!({})).unwrap_err();
    assert!(
        err.to_string().contains("the action `a` cannot be called"),
        "{err}"
    );
}

#[test]
fn draft7_is_forced_whatever_schema_says() {
    // In 2020-12 `prefixItems` would constrain item 0; in Draft 7 it is an unknown keyword.
    let s = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {"t": {"prefixItems": [{"type": "string"}]}}
    });
    let v = ParameterValidator::new(&s).unwrap();
    assert!(v.validate(&json!({"t": [1]})).is_ok());
    // And Draft 7's tuple `items` applies.
    let s = obj(json!({"t": {"items": [{"type": "string"}]}}));
    assert_eq!(
        one(s, json!({"t": [1]})),
        "`t[0]` must be a string, not an integer"
    );
}

#[test]
fn validator_is_shareable() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<ParameterValidator>();
    let v = ParameterValidator::new(&obj(json!({}))).unwrap();
    let w = v.clone();
    assert!(
        std::thread::spawn(move || w.is_valid(&json!({})))
            .join()
            .unwrap()
    );
    assert!(!v.is_valid(&json!(3)));
}
