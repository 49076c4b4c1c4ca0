//! `cargo xtask generate [--check]`: OpenAPI documents in `openapi/` to Rust in
//! `polyai-sdk/src/generated/`, one module per document.
//!
//! Before progenitor sees a document, every error response (anything but 2xx) is removed: the
//! documents keep them as a record of PolyAI's contract, but the SDK reads every non-success
//! response through one hand-written path (`polyai_sdk::Error`), which keeps the status, the
//! correlation header and a bounded body excerpt even when a proxy answers with HTML. It also
//! sidesteps progenitor's refusal of operations with several error schemas.
//!
//! progenitor's output is then post-processed, each step failing generation loudly when the
//! output's shape is not the one it expects: every operation's `send()` returns
//! `polyai_sdk::Error` ([`sdk_error_sends`]), every path parameter goes through the SDK's
//! checked encoder ([`checked_path_encoding`]), and each family's client struct is named for
//! its family, `ConversationsClient` rather than `Client` ([`family_client_name`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use openapiv3::{OpenAPI, ReferenceOr, StatusCode};
use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle};

/// Whether to write the generated files or only compare them with what is committed.
pub enum Mode {
    Write,
    Check,
}

/// The type every generated client carries as its `inner` value; see `polyai-sdk/src/transport.rs`.
const INNER_TYPE: &str = "crate::transport::Transport";
const OUTPUT_DIR: &str = "polyai-sdk/src/generated";
const SPEC_DIR: &str = "openapi";
/// Schemas whose values are secrets: generated as the SDK's redacting `Secret` type, and
/// listed in `SECRET_RESPONSE_FIELDS` so that error excerpts scrub them.
const SECRET_SCHEMAS: &[&str] = &["SigningSecret"];

struct Document {
    /// File name inside `openapi/`, e.g. `debug-chat.yaml`.
    file_name: String,
    /// Rust module name, e.g. `debug_chat`.
    module: String,
    title: String,
    spec: OpenAPI,
}

pub fn run(mode: Mode) -> Result<(), String> {
    let root = crate::workspace_root();
    let documents = load_documents(&root.join(SPEC_DIR))?;
    if documents.is_empty() {
        return Err(format!("no *.yaml documents in {SPEC_DIR}/"));
    }

    let mut outputs = BTreeMap::new();
    for document in &documents {
        outputs.insert(
            format!("{}.rs", document.module),
            generate_document(document)?,
        );
    }
    outputs.insert("mod.rs".to_string(), render_mod(&documents)?);

    crate::generate_cli::run(&root, &outputs, matches!(mode, Mode::Check))?;
    let out_dir = root.join(OUTPUT_DIR);
    match mode {
        Mode::Write => write_outputs(&out_dir, &outputs),
        Mode::Check => check_outputs(&out_dir, &outputs),
    }
}

fn load_documents(dir: &Path) -> Result<Vec<Document>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    paths.sort();

    paths
        .into_iter()
        .map(|path| {
            let file_name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("{SPEC_DIR}/{file_name}: cannot read: {e}"))?;
            let spec: OpenAPI = serde_yaml::from_str(&text).map_err(|e| {
                format!("{SPEC_DIR}/{file_name}: not a valid OpenAPI 3.0 document: {e}")
            })?;
            if !spec.openapi.starts_with("3.0.") {
                return Err(format!(
                    "{SPEC_DIR}/{file_name}: declares openapi {}; progenitor reads 3.0.x only",
                    spec.openapi
                ));
            }
            let stem = file_name.trim_end_matches(".yaml");
            let module = stem.replace(['-', '.'], "_");
            if module.is_empty()
                || !module
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(format!(
                    "{SPEC_DIR}/{file_name}: file name must be a valid Rust module name"
                ));
            }
            Ok(Document {
                title: spec.info.title.clone(),
                file_name,
                module,
                spec,
            })
        })
        .collect()
}

/// Removes every non-2xx response (see the module docs) and checks that each operation has an
/// operationId, naming the document and route when one is missing.
fn prepare(document: &Document) -> Result<OpenAPI, String> {
    let mut spec = document.spec.clone();
    for (path, item) in spec.paths.paths.iter_mut() {
        let ReferenceOr::Item(item) = item else {
            return Err(format!(
                "{SPEC_DIR}/{}: path {path} is a $ref; inline it",
                document.file_name
            ));
        };
        for (method, slot) in operation_slots(item) {
            let Some(operation) = slot else { continue };
            if operation.operation_id.as_deref().is_none_or(str::is_empty) {
                return Err(format!(
                    "{SPEC_DIR}/{}: {} {path} has no operationId (it becomes the method name)",
                    document.file_name,
                    method.to_uppercase()
                ));
            }
            operation.responses.default = None;
            operation
                .responses
                .responses
                .retain(|status, _| match status {
                    StatusCode::Code(code) => (200..300).contains(code),
                    StatusCode::Range(class) => class == &2,
                });
        }
    }
    Ok(spec)
}

fn settings() -> Result<GenerationSettings, String> {
    let inner: proc_macro2::TokenStream = INNER_TYPE
        .parse()
        .map_err(|e| format!("bad inner type {INNER_TYPE}: {e}"))?;
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_hooks(HooksMode::Expected)
        .with_inner_type(inner)
        .with_map_type("::std::collections::BTreeMap")
        // Secrets PolyAI returns (webhook signing secrets) must never be printed: the schema
        // named `SigningSecret` becomes the SDK's redacting `Secret` type.
        .with_replacement(
            SECRET_SCHEMAS[0],
            "crate::secret::Secret",
            std::iter::empty(),
        )
        // A connector update must be able to send `"variantId": null` (unassign) as well as
        // leave the field out (unchanged), which a generated `Option<String>` cannot.
        .with_replacement(
            "VariantAssignment",
            "crate::VariantAssignment",
            std::iter::empty(),
        )
        // Alert rule operators are the symbols `>`, `<`, `>=`, `<=`, from which typify cannot
        // make variant names; the SDK's own enum reads and writes them.
        .with_replacement("AlertOperator", "crate::AlertOperator", std::iter::empty())
        // One environment type for every family: the listing, debug chat and the Agents API
        // take the same three values.
        .with_replacement("Environment", "crate::Environment", std::iter::empty())
        .with_replacement(
            "ClientEnvironment",
            "crate::Environment",
            std::iter::empty(),
        )
        // Channels are an open set (`VOICE-SIP`, `WEBCHAT`, `CHAT`, and any newer one): the
        // SDK's own enum names the known ones and keeps any other value as sent.
        .with_replacement("Channel", "crate::Channel", std::iter::empty())
        // An alert rule update must be able to send `"project_id": null` (watch the
        // whole account) as well as leave the field out (keep the rule's project).
        .with_replacement(
            "AlertRuleProject",
            "crate::AlertRuleProject",
            std::iter::empty(),
        )
        .with_derive("PartialEq");
    Ok(settings)
}

/// Runs progenitor over one prepared document, turning both its errors and its panics into a
/// message. The panic message is captured instead of printed.
fn progenitor_tokens(spec: &OpenAPI) -> Result<proc_macro2::TokenStream, String> {
    let settings = settings()?;
    let captured: Arc<Mutex<Option<String>>> = Arc::default();
    let previous_hook = std::panic::take_hook();
    {
        let captured = Arc::clone(&captured);
        std::panic::set_hook(Box::new(move |info| {
            if let Ok(mut slot) = captured.lock() {
                *slot = Some(info.to_string());
            }
        }));
    }
    let outcome = std::panic::catch_unwind(|| Generator::new(&settings).generate_tokens(spec));
    std::panic::set_hook(previous_hook);
    match outcome {
        Ok(Ok(tokens)) => Ok(tokens),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => {
            let message = captured.lock().ok().and_then(|mut slot| slot.take());
            Err(format!(
                "progenitor panicked: {}",
                message.unwrap_or_else(|| "(no message)".into())
            ))
        }
    }
}

/// When a whole document fails, generates each operation alone to name the ones at fault.
fn failing_operations(spec: &OpenAPI) -> Vec<String> {
    let mut failures = Vec::new();
    for (path, item) in &spec.paths.paths {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for (method, operation) in item.iter() {
            let mut single = spec.clone();
            let mut only = item.clone();
            for (name, slot) in operation_slots(&mut only) {
                if name != method {
                    *slot = None;
                }
            }
            single.paths.paths.clear();
            single
                .paths
                .paths
                .insert(path.clone(), ReferenceOr::Item(only));
            if let Err(message) = progenitor_tokens(&single) {
                let id = operation.operation_id.clone().unwrap_or_default();
                failures.push(format!(
                    "  operation `{id}` ({} {path}): {message}",
                    method.to_uppercase()
                ));
            }
        }
    }
    failures
}

/// The operation slots of a path item, by lower-case method name.
fn operation_slots(
    item: &mut openapiv3::PathItem,
) -> [(&'static str, &mut Option<openapiv3::Operation>); 8] {
    [
        ("get", &mut item.get),
        ("put", &mut item.put),
        ("post", &mut item.post),
        ("delete", &mut item.delete),
        ("options", &mut item.options),
        ("head", &mut item.head),
        ("patch", &mut item.patch),
        ("trace", &mut item.trace),
    ]
}

/// Checks that every `pattern` in a document compiles as the regular expression the generated
/// newtypes build from it (with `regress`, as typify's code does), so that a typo fails here
/// rather than as a panic in the SDK the first time the pattern is used.
fn check_patterns(document: &Document) -> Result<(), String> {
    fn walk(value: &serde_json::Value, file: &str) -> Result<(), String> {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(pattern)) = map.get("pattern") {
                    regress::Regex::new(pattern).map_err(|e| {
                        format!("{SPEC_DIR}/{file}: pattern {pattern:?} is not a valid regular expression: {e}")
                    })?;
                }
                map.values().try_for_each(|v| walk(v, file))
            }
            serde_json::Value::Array(items) => items.iter().try_for_each(|v| walk(v, file)),
            _ => Ok(()),
        }
    }
    let value = serde_json::to_value(&document.spec)
        .map_err(|e| format!("{SPEC_DIR}/{}: cannot inspect: {e}", document.file_name))?;
    walk(&value, &document.file_name)
}

fn generate_document(document: &Document) -> Result<String, String> {
    check_patterns(document)?;
    let spec = prepare(document)?;
    let tokens = progenitor_tokens(&spec).map_err(|message| {
        let culprits = failing_operations(&spec);
        let mut text = format!(
            "{SPEC_DIR}/{}: code generation failed: {message}",
            document.file_name
        );
        if culprits.is_empty() {
            text.push_str("\n  (no single operation fails alone; look at shared components)");
        } else {
            text.push('\n');
            text.push_str(&culprits.join("\n"));
        }
        text
    })?;
    let mut file: syn::File = syn::parse2(tokens).map_err(|e| {
        format!(
            "{SPEC_DIR}/{}: progenitor produced unparsable code: {e}",
            document.file_name
        )
    })?;
    let operations = spec
        .paths
        .paths
        .values()
        .filter_map(ReferenceOr::as_item)
        .map(|item| item.iter().count())
        .sum();
    sdk_error_sends(&mut file, operations)
        .map_err(|message| format!("{SPEC_DIR}/{}: {message}", document.file_name))?;
    let body = line_doc_comments(&prettyplease::unparse(&file));
    let banner = format!(
        "// @generated by `cargo xtask generate` from {SPEC_DIR}/{} ({}). DO NOT EDIT.\n\
         // Change the OpenAPI document or xtask/src/generate.rs instead, then run `cargo xtask generate`.\n\n",
        document.file_name, document.title
    );
    // rustfmt first: prettyplease prints the `format!` building each URL token by token.
    let formatted = rustfmt(&format!("{banner}{body}"))?;
    let checked = checked_path_encoding(&formatted)
        .and_then(|checked| family_client_name(&checked, &client_name(&document.module)))
        .and_then(|named| private_progenitor_error(&named))
        .map_err(|message| format!("{SPEC_DIR}/{}: {message}", document.file_name))?;
    rustfmt(&checked)
}

/// The function every generated `send()` hands its progenitor result to, to make it the SDK's
/// `Result<ResponseValue<T>, polyai_sdk::Error>`.
const SDK_RESULT_FN: &str = "crate::error::sdk_result";

/// The function the generated `send()` of an operation answering with bytes (progenitor's
/// `ResponseValue<ByteStream>`) hands its result to instead: it also makes the body a
/// `crate::ByteStream`, whose items fail with `polyai_sdk::Error` rather than `reqwest::Error`.
const SDK_STREAM_RESULT_FN: &str = "crate::body_stream::sdk_stream_result";

/// Makes every operation's `send()` return `polyai_sdk::Error`.
///
/// progenitor's `send()` returns `progenitor_client::Error`, whose non-success variant holds
/// the unread response, so PolyAI's reason could only be read by an async conversion. Each
/// builder's `send` is renamed `send_raw` (kept, crate-private, for the SDK's own code that
/// needs the raw outcome, such as a `206` to a `Range` request) and a new `pub async fn
/// send(self) -> Result<ResponseValue<T>, crate::Error>` calls it and converts the error with
/// [`SDK_RESULT_FN`], which reads and decodes the error body. Anything of another shape (a
/// `send` with another signature, a builder without one, a count that differs from the
/// document's operations) fails generation, so a progenitor upgrade cannot leave an operation
/// returning progenitor's error.
fn sdk_error_sends(file: &mut syn::File, operations: usize) -> Result<(), String> {
    const UPDATE: &str = "update sdk_error_sends in xtask/src/generate.rs";
    let builder = file
        .items
        .iter_mut()
        .find_map(|item| match item {
            syn::Item::Mod(module) if module.ident == "builder" => module.content.as_mut(),
            _ => None,
        })
        .map(|(_, items)| items);
    let Some(items) = builder else {
        return if operations == 0 {
            Ok(())
        } else {
            Err(format!("progenitor emitted no `mod builder`; {UPDATE}"))
        };
    };
    let mut wrapped = 0;
    for item in items.iter_mut() {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        if block.trait_.is_some() {
            continue;
        }
        let Some(position) = block.items.iter().position(
            |item| matches!(item, syn::ImplItem::Fn(function) if function.sig.ident == "send"),
        ) else {
            continue;
        };
        let syn::ImplItem::Fn(raw) = &mut block.items[position] else {
            continue;
        };
        let success = progenitor_send_success(&raw.sig).ok_or_else(|| {
            format!(
                "a generated `send` does not return `Result<ResponseValue<T>, Error<()>>`; {UPDATE}"
            )
        })?;
        let docs: Vec<syn::Attribute> = raw
            .attrs
            .iter()
            .filter(|attr| attr.path().is_ident("doc"))
            .cloned()
            .collect();
        raw.sig.ident = syn::Ident::new("send_raw", raw.sig.ident.span());
        raw.vis = syn::parse_str("pub(crate)").map_err(|e| e.to_string())?;
        raw.attrs.retain(|attr| !attr.path().is_ident("doc"));
        raw.attrs.push(doc_attr(
            "The request as progenitor sends it, with progenitor's error (for the SDK's own code).",
        )?);
        // A byte stream's items are reqwest errors; the SDK's `ByteStream` maps them.
        let streamed = matches!(&success, syn::Type::Path(path)
            if path.qself.is_none() && path.path.is_ident("ByteStream"));
        let (convert, success) = if streamed {
            let sdk_stream: syn::Type =
                syn::parse_str("crate::ByteStream").map_err(|e| e.to_string())?;
            (SDK_STREAM_RESULT_FN, sdk_stream)
        } else {
            (SDK_RESULT_FN, success)
        };
        let mut send: syn::ImplItemFn = syn::parse_str(&format!(
            "pub async fn send(self) -> Result<ResponseValue<()>, crate::Error> {{ \
             {convert}(self.send_raw().await).await }}"
        ))
        .map_err(|e| format!("cannot build the SDK's send(): {e}"))?;
        set_success_type(&mut send.sig, success)
            .ok_or_else(|| format!("cannot set the success type of send(); {UPDATE}"))?;
        send.attrs = docs;
        send.attrs.push(doc_attr("")?);
        send.attrs.push(doc_attr(
            "Every failure is a [`crate::Error`]: a value the builder refused, a network \
             failure, a body that does not decode, or PolyAI's answer with its status, error \
             code, message and correlation id.",
        )?);
        if streamed {
            send.attrs.push(doc_attr("")?);
            send.attrs.push(doc_attr(
                "The body arrives as a [`crate::ByteStream`], whose failures mid-body are \
                 [`crate::Error`]s too.",
            )?);
        }
        block.items.insert(position, syn::ImplItem::Fn(send));
        wrapped += 1;
    }
    if wrapped != operations {
        return Err(format!(
            "{wrapped} generated `send` functions for {operations} operations; {UPDATE}"
        ));
    }
    Ok(())
}

/// A `#[doc = "..."]` attribute holding one line of documentation.
fn doc_attr(text: &str) -> Result<syn::Attribute, String> {
    let line = if text.is_empty() {
        String::new()
    } else {
        format!(" {text}")
    };
    let mut function: syn::ItemFn = syn::parse_str(&format!("#[doc = {line:?}] fn f() {{}}"))
        .map_err(|e| format!("cannot build a doc attribute: {e}"))?;
    function
        .attrs
        .pop()
        .ok_or_else(|| "cannot build a doc attribute".to_string())
}

/// The `T` of progenitor's `Result<ResponseValue<T>, Error<()>>`, if `sig` returns exactly that.
fn progenitor_send_success(sig: &syn::Signature) -> Option<syn::Type> {
    let syn::ReturnType::Type(_, output) = &sig.output else {
        return None;
    };
    let [ok, err] = last_segment_args(output, "Result")?[..] else {
        return None;
    };
    let [error_arg] = last_segment_args(err, "Error")?[..] else {
        return None;
    };
    if !matches!(error_arg, syn::Type::Tuple(tuple) if tuple.elems.is_empty()) {
        return None;
    }
    let [success] = last_segment_args(ok, "ResponseValue")?[..] else {
        return None;
    };
    Some(success.clone())
}

/// The type arguments of a path type whose last segment is `name`.
fn last_segment_args<'a>(ty: &'a syn::Type, name: &str) -> Option<Vec<&'a syn::Type>> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let segment = path.path.segments.last().filter(|s| s.ident == name)?;
    let syn::PathArguments::AngleBracketed(args) = &segment.arguments else {
        return None;
    };
    args.args
        .iter()
        .map(|arg| match arg {
            syn::GenericArgument::Type(ty) => Some(ty),
            _ => None,
        })
        .collect()
}

/// Replaces the `()` placeholder in `Result<ResponseValue<()>, _>` with `success`.
fn set_success_type(sig: &mut syn::Signature, success: syn::Type) -> Option<()> {
    let syn::ReturnType::Type(_, output) = &mut sig.output else {
        return None;
    };
    let syn::Type::Path(result) = &mut **output else {
        return None;
    };
    let syn::PathArguments::AngleBracketed(args) = &mut result.path.segments.last_mut()?.arguments
    else {
        return None;
    };
    let Some(syn::GenericArgument::Type(syn::Type::Path(ok))) = args.args.first_mut() else {
        return None;
    };
    let syn::PathArguments::AngleBracketed(inner) = &mut ok.path.segments.last_mut()?.arguments
    else {
        return None;
    };
    *inner.args.first_mut()? = syn::GenericArgument::Type(success);
    Some(())
}

/// Family clients whose name is not the module's name in CamelCase: the `webhooks` document
/// manages webhook endpoints, and its accessor is `Client::webhook_endpoints`.
const CLIENT_NAMES: &[(&str, &str)] = &[("webhooks", "WebhookEndpointsClient")];

/// The name of a family's generated client: `conversations` gives `ConversationsClient`.
fn client_name(module: &str) -> String {
    if let Some((_, name)) = CLIENT_NAMES.iter().find(|(m, _)| *m == module) {
        return (*name).to_string();
    }
    let mut name: String = module
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect();
    name.push_str("Client");
    name
}

/// Renames progenitor's `Client` struct to the family's own name (`ConversationsClient`, ...),
/// so that rustdoc and users never confuse it with `polyai_sdk::Client`. In code every path
/// to it (`Client`, `super::Client`, `self::super::Client`) is renamed; `reqwest::Client` is
/// not. In doc comments only links to it (`` [`Client::op`] ``, `super::Client::op`) and the
/// struct's own first line are. Generation fails when the struct is not there.
fn family_client_name(source: &str, name: &str) -> Result<String, String> {
    if source.matches("pub struct Client {").count() != 1 {
        return Err(
            "progenitor's output has no single `pub struct Client`; update \
             family_client_name in xtask/src/generate.rs"
                .to_string(),
        );
    }
    let mut out = String::with_capacity(source.len() + source.len() / 32);
    for line in source.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            let indent = &line[..line.len() - trimmed.len()];
            let renamed = trimmed
                .replace("[`Client::", &format!("[`{name}::"))
                .replace("super::Client::", &format!("super::{name}::"));
            let renamed = match renamed.strip_prefix("///Client for ") {
                Some(rest) => format!(
                    "///The client of the {} family; [`crate::Client`]'s accessor hands it out\n",
                    rest.trim_end()
                ),
                None => renamed,
            };
            out.push_str(indent);
            out.push_str(&renamed);
        } else {
            out.push_str(&rename_word(line, "Client", name, "reqwest::"));
        }
    }
    Ok(out)
}

/// `text` with every whole-word `word` replaced by `by`, except where it follows `keep_after`.
fn rename_word(text: &str, word: &str, by: &str, keep_after: &str) -> String {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut consumed = 0;
    while let Some(at) = rest.find(word) {
        let start = consumed + at;
        let end = start + word.len();
        let before = text[..start].chars().next_back();
        let after = text[end..].chars().next();
        out.push_str(&rest[..at]);
        if before.is_some_and(is_ident)
            || after.is_some_and(is_ident)
            || text[..start].ends_with(keep_after)
        {
            out.push_str(word);
        } else {
            out.push_str(by);
        }
        consumed = end;
        rest = &text[end..];
    }
    out.push_str(rest);
    out
}

/// progenitor re-exports its own `Error` and `ClientInfo` from every generated module; the
/// SDK's calls return `polyai_sdk::Error`, so progenitor's is kept private (the generated
/// code still uses it inside), as is its `ByteStream` (the SDK's `send()` hands out
/// `crate::ByteStream`, whose items are `polyai_sdk::Error`); only `ResponseValue` stays public.
fn private_progenitor_error(source: &str) -> Result<String, String> {
    const PUBLIC: &str =
        "pub use progenitor_client::{ByteStream, ClientInfo, Error, ResponseValue};";
    if source.matches(PUBLIC).count() != 1 {
        return Err(format!(
            "progenitor's output does not start with `{PUBLIC}`; update private_progenitor_error \
             in xtask/src/generate.rs"
        ));
    }
    Ok(source.replacen(
        PUBLIC,
        "pub use progenitor_client::ResponseValue;\n\
         #[allow(unused_imports)]\n\
         use progenitor_client::{ByteStream, ClientInfo, Error};",
        1,
    ))
}

/// Routes every path parameter through the SDK's `crate::transport::encode_path`.
///
/// progenitor encodes a path parameter with `progenitor_client::encode_path`, which leaves `\`
/// (read as `/` by URL parsers), `.` and `..` as they are, so an id could reach another
/// resource. Each `encode_path(&name.to_string())` becomes
/// `crate::transport::encode_path("name", &name.to_string()).map_err(Error::InvalidRequest)?`,
/// which encodes the value as exactly one segment or refuses it before anything is sent. A
/// call of any other shape fails generation, so a progenitor upgrade cannot silently bypass
/// the check.
fn checked_path_encoding(source: &str) -> Result<String, String> {
    const CALL: &str = "encode_path(&";
    const ARGUMENT_END: &str = ".to_string())";
    let calls = source.matches("encode_path(").count();
    if calls != source.matches(CALL).count() {
        return Err("a path parameter is encoded in an unexpected shape (not \
             `encode_path(&name.to_string())`); update checked_path_encoding in xtask/src/generate.rs"
            .to_string());
    }
    let mut out = String::with_capacity(source.len() + source.len() / 16);
    let mut rest = source;
    while let Some(start) = rest.find(CALL) {
        out.push_str(&rest[..start]);
        let after = &rest[start + CALL.len()..];
        let name = after
            .find(ARGUMENT_END)
            .map(|end| &after[..end])
            .filter(|name| {
                !name.is_empty() && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
            })
            .ok_or_else(|| {
                let line: String = after.chars().take_while(|&c| c != '\n').collect();
                format!(
                    "a path parameter is encoded in an unexpected shape (`{CALL}{line}`); \
                     update checked_path_encoding in xtask/src/generate.rs"
                )
            })?;
        let _ = write!(
            out,
            "crate::transport::encode_path({name:?}, &{name}.to_string())\
             .map_err(Error::InvalidRequest)?"
        );
        rest = &after[name.len() + ARGUMENT_END.len()..];
    }
    out.push_str(rest);
    Ok(out)
}

/// What the transport needs to know about one operation, emitted as one
/// `crate::transport::Operation` value per operation id in the `OPERATIONS` table.
struct OperationTraits {
    id: String,
    /// The HTTP method, upper case.
    method: String,
    /// The path template, e.g. `/v1/agents/{agentId}/conversations`.
    path: String,
    /// The host family the operation's servers belong to.
    host: &'static str,
    /// The media type of a success body that is not JSON (progenitor hands such bodies over
    /// as a byte stream).
    streaming: Option<String>,
    /// Safe to repeat: GET, HEAD, OPTIONS, PUT, DELETE, or marked `x-polyai-idempotent: true`.
    idempotent: bool,
}

/// The `HostFamily` variant a set of servers belongs to: `api.{region}.poly.ai` are `Agents`, `api.{region}-1.platform.polyai.app` are `Platform`; the Studio host,
/// which serves both, says nothing. Every other server of the list must agree; a list that
/// mixes them, or names another host, is refused.
fn host_family(servers: &[openapiv3::Server], place: &str) -> Result<&'static str, String> {
    let mut family = None;
    for server in servers {
        let host = server
            .url
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split(['/', ':']).next())
            .unwrap_or_default();
        // The self-serve Studio region serves both families from one host.
        if host == "api.studio.poly.ai" {
            continue;
        }
        let this = if host.ends_with(".platform.polyai.app") {
            "Platform"
        } else if host.starts_with("api.") && host.ends_with(".poly.ai") {
            "Agents"
        } else {
            return Err(format!(
                "{place}: server {} is neither an Agents host (api.{{region}}.poly.ai) nor a \
                 Platform host (api.{{region}}-1.platform.polyai.app)",
                server.url
            ));
        };
        if family.is_some_and(|known| known != this) {
            return Err(format!(
                "{place}: its servers mix Agents and Platform hosts; an operation lives on one"
            ));
        }
        family = Some(this);
    }
    family.ok_or_else(|| format!("{place}: no servers, so no host family"))
}

fn operation_traits(documents: &[Document]) -> Result<Vec<OperationTraits>, String> {
    let mut traits = Vec::new();
    for document in documents {
        let file = format!("{SPEC_DIR}/{}", document.file_name);
        let document_host = host_family(&document.spec.servers, &file)?;
        for (path, item) in &document.spec.paths.paths {
            let ReferenceOr::Item(item) = item else {
                continue;
            };
            for (method, operation) in item.iter() {
                let id = operation.operation_id.clone().unwrap_or_default();
                // Operation-level servers override path-level ones, which override the
                // document's; the client sends a whole document to one family, so every
                // operation must stay on the document's.
                let servers = [&operation.servers, &item.servers]
                    .into_iter()
                    .find(|servers| !servers.is_empty());
                let host = match servers {
                    Some(servers) => host_family(servers, &format!("{file}: {id}"))?,
                    None => document_host,
                };
                if host != document_host {
                    return Err(format!(
                        "{file}: {id} is served by the {host} hosts while the document is \
                         served by the {document_host} hosts; the client sends a document's \
                         operations to one host family, so move {id} to a document of its own"
                    ));
                }
                let streaming = operation
                    .responses
                    .responses
                    .iter()
                    .filter(|(status, _)| match status {
                        StatusCode::Code(code) => (200..300).contains(code),
                        StatusCode::Range(class) => *class == 2,
                    })
                    .filter_map(|(_, response)| response.as_item())
                    .flat_map(|response| response.content.keys())
                    .find(|media| !media.contains("json"))
                    .cloned();
                let marked = operation
                    .extensions
                    .get("x-polyai-idempotent")
                    .and_then(serde_json::Value::as_bool)
                    .unwrap_or(false);
                let idempotent =
                    matches!(method, "get" | "head" | "options" | "put" | "delete") || marked;
                traits.push(OperationTraits {
                    id,
                    method: method.to_ascii_uppercase(),
                    path: path.clone(),
                    host,
                    streaming,
                    idempotent,
                });
            }
        }
    }
    traits.sort_by(|a, b| a.id.cmp(&b.id));
    if let Some(pair) = traits.windows(2).find(|pair| pair[0].id == pair[1].id) {
        return Err(format!(
            "operation id {} is used twice across openapi/; ids must be unique",
            pair[0].id
        ));
    }
    Ok(traits)
}

/// The `OPERATIONS` table: one `crate::transport::Operation` per operation, sorted by id (the
/// transport looks operations up by binary search).
fn render_operations(traits: &[OperationTraits]) -> String {
    let mut text = String::from(
        "\n/// Every generated operation, sorted by id: method, path template (to check that no\n\
         /// parameter changed the path), host family and the traits the retry classifier reads.\n\
         pub(crate) static OPERATIONS: &[crate::transport::Operation] = &[\n",
    );
    for t in traits {
        let streaming = match &t.streaming {
            Some(media) => format!("Some({media:?})"),
            None => "None".to_string(),
        };
        let _ = write!(
            text,
            "    crate::transport::Operation {{\n\
             id: {:?},\n\
             method: reqwest::Method::{},\n\
             path: {:?},\n\
             host: crate::region::HostFamily::{},\n\
             traits: crate::transport::OperationTraits {{ idempotent: {}, streaming: {streaming} }},\n\
             }},\n",
            t.id, t.method, t.path, t.host, t.idempotent,
        );
    }
    text.push_str("];\n");
    text
}

/// `(operation id, property name)` for every property of a success response (at any depth)
/// whose schema is one of [`SECRET_SCHEMAS`] or is marked `x-polyai-secret: true`, sorted.
fn secret_response_fields(documents: &[Document]) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for document in documents {
        let spec = &document.spec;
        for (_, item) in &spec.paths.paths {
            let ReferenceOr::Item(item) = item else {
                continue;
            };
            for (_, operation) in item.iter() {
                let id = operation.operation_id.clone().unwrap_or_default();
                let mut fields = Vec::new();
                for (status, response) in &operation.responses.responses {
                    let success = match status {
                        StatusCode::Code(code) => (200..300).contains(code),
                        StatusCode::Range(class) => *class == 2,
                    };
                    let Some(response) = response.as_item().filter(|_| success) else {
                        continue;
                    };
                    for media in response.content.values() {
                        if let Some(schema) = &media.schema {
                            secret_properties(spec, schema, 0, &mut fields);
                        }
                    }
                }
                fields.sort();
                fields.dedup();
                found.extend(fields.into_iter().map(|field| (id.clone(), field)));
            }
        }
    }
    found.sort();
    found
}

/// The names of the properties under `schema` whose schema is a secret, following `$ref`s
/// (to a bounded depth, so a recursive schema cannot loop).
fn secret_properties(
    spec: &OpenAPI,
    schema: &ReferenceOr<openapiv3::Schema>,
    depth: usize,
    out: &mut Vec<String>,
) {
    use openapiv3::{SchemaKind, Type};
    if depth > 16 {
        return;
    }
    let schema = match schema {
        ReferenceOr::Item(schema) => schema,
        ReferenceOr::Reference { reference } => {
            let name = reference.trim_start_matches("#/components/schemas/");
            match spec.components.as_ref().and_then(|c| c.schemas.get(name)) {
                Some(target) => return secret_properties(spec, target, depth + 1, out),
                None => return,
            }
        }
    };
    let is_secret = |schema: &ReferenceOr<Box<openapiv3::Schema>>| match schema {
        ReferenceOr::Reference { reference } => SECRET_SCHEMAS
            .iter()
            .any(|name| reference.ends_with(&format!("/{name}"))),
        ReferenceOr::Item(inline) => inline
            .schema_data
            .extensions
            .get("x-polyai-secret")
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
    };
    let unboxed = |schema: &ReferenceOr<Box<openapiv3::Schema>>| match schema {
        ReferenceOr::Item(inner) => ReferenceOr::Item((**inner).clone()),
        ReferenceOr::Reference { reference } => ReferenceOr::Reference {
            reference: reference.clone(),
        },
    };
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => {
            for (name, property) in &object.properties {
                if is_secret(property) {
                    out.push(name.clone());
                } else {
                    secret_properties(spec, &unboxed(property), depth + 1, out);
                }
            }
        }
        SchemaKind::Type(Type::Array(array)) => {
            if let Some(items) = &array.items {
                secret_properties(spec, &unboxed(items), depth + 1, out);
            }
        }
        SchemaKind::AllOf { all_of: schemas }
        | SchemaKind::OneOf { one_of: schemas }
        | SchemaKind::AnyOf { any_of: schemas } => {
            for schema in schemas {
                secret_properties(spec, schema, depth + 1, out);
            }
        }
        _ => {}
    }
}

/// Rewrites the `/** ... */` doc blocks prettyplease prints for multi-line docs as `///`
/// lines. In a block, continuation lines are indented with the item, and Markdown reads four
/// leading spaces as a code block, which rustdoc would then try to compile as a doctest.
fn line_doc_comments(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut lines = source.lines();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        let Some(first) = trimmed.strip_prefix("/**") else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        let indent = &line[..line.len() - trimmed.len()];
        let mut content = vec![first.to_string()];
        let mut closed = first.ends_with("*/");
        while !closed {
            let Some(next) = lines.next() else { break };
            closed = next.trim_end().ends_with("*/");
            content.push(
                next.strip_prefix(indent)
                    .unwrap_or(next.trim_start())
                    .to_string(),
            );
        }
        if let Some(last) = content.last_mut() {
            *last = last.trim_end().trim_end_matches("*/").to_string();
        }
        for text in content {
            let text = text.trim_end();
            if text.is_empty() {
                out.push_str(&format!("{indent}///\n"));
            } else {
                out.push_str(&format!("{indent}///{text}\n"));
            }
        }
    }
    out
}

fn render_mod(documents: &[Document]) -> Result<String, String> {
    let mut text = String::from(
        "// @generated by `cargo xtask generate`. DO NOT EDIT.\n\
         //! Clients and types generated from the OpenAPI documents in `openapi/`, one module per\n\
         //! document. Most users reach them through `polyai_sdk::Client`'s family accessors.\n\n",
    );
    for document in documents {
        let _ = write!(
            text,
            "/// Generated from `{SPEC_DIR}/{}`: {}.\n\
             #[allow(clippy::all, clippy::pedantic, missing_docs, rustdoc::all, unused, unreachable_pub)]\n\
             pub mod {};\n",
            document.file_name, document.title, document.module
        );
    }
    text.push('\n');
    for document in documents {
        let _ = writeln!(
            text,
            "crate::transport::impl_client_hooks!({}::{});",
            document.module,
            client_name(&document.module)
        );
    }
    text.push_str(&render_request_limits(documents)?);
    let traits = operation_traits(documents)?;
    text.push_str(&render_operations(&traits));
    let _ = write!(
        text,
        "\n/// `(operation, field)` for every field of a success response that holds a secret; errors\n\
         /// scrub these fields' values from body excerpts.\n\
         pub(crate) const SECRET_RESPONSE_FIELDS: &[(&str, &str)] = &[\n{}];\n",
        secret_response_fields(documents)
            .iter()
            .map(|(id, field)| format!("    ({id:?}, {field:?}),\n"))
            .collect::<String>(),
    );
    rustfmt(&text)
}

/// One limit PolyAI documents on a JSON request body that the generated types do not enforce
/// by themselves: typify turns `minLength`, `maxLength` and `pattern` into checked newtypes,
/// but ignores `minItems`/`maxItems` on arrays and `minimum`/`maximum` on numbers. These are
/// listed in `REQUEST_LIMITS` and checked on the serialised body before it is sent
/// (`polyai-sdk/src/validate.rs`).
struct BodyLimit {
    operation: String,
    /// Where the value sits in the body: wire field names joined by `.`, with `[]` after an
    /// array field whose every element is looked into, e.g. `exampleQueries.queries`.
    field: String,
    /// The `crate::validate::Limit` expression.
    limit: String,
}

/// Every documented array-length and number-range limit of every JSON request body.
fn request_limits(documents: &[Document]) -> Result<Vec<BodyLimit>, String> {
    let mut limits = Vec::new();
    for document in documents {
        for (_, item) in &document.spec.paths.paths {
            let ReferenceOr::Item(item) = item else {
                continue;
            };
            for (_, operation) in item.iter() {
                let Some(body) = &operation.request_body else {
                    continue;
                };
                let body = match body {
                    ReferenceOr::Item(body) => body,
                    ReferenceOr::Reference { reference } => {
                        return Err(format!(
                            "{SPEC_DIR}/{}: request body {reference} is a $ref; inline it",
                            document.file_name
                        ));
                    }
                };
                let Some(schema) = body
                    .content
                    .iter()
                    .find(|(media, _)| media.contains("json"))
                    .and_then(|(_, media)| media.schema.as_ref())
                else {
                    continue;
                };
                let id = operation.operation_id.clone().unwrap_or_default();
                let mut walk = LimitWalk {
                    document,
                    operation: &id,
                    found: &mut limits,
                };
                walk.schema_ref(schema.clone(), "", 0)?;
            }
        }
    }
    limits.sort_by(|a, b| (&a.operation, &a.field).cmp(&(&b.operation, &b.field)));
    Ok(limits)
}

/// The walk over one request body's schema behind [`request_limits`].
struct LimitWalk<'a> {
    document: &'a Document,
    operation: &'a str,
    found: &'a mut Vec<BodyLimit>,
}

impl LimitWalk<'_> {
    fn schema_ref(
        &mut self,
        schema: ReferenceOr<openapiv3::Schema>,
        field: &str,
        depth: usize,
    ) -> Result<(), String> {
        if depth > 32 {
            return Err(format!(
                "{SPEC_DIR}/{}: the request body of {} nests deeper than 32 levels (a cycle?)",
                self.document.file_name, self.operation
            ));
        }
        let schema = match schema {
            ReferenceOr::Item(schema) => schema,
            ReferenceOr::Reference { reference } => {
                let name = reference
                    .strip_prefix("#/components/schemas/")
                    .ok_or_else(|| {
                        format!(
                            "{SPEC_DIR}/{}: unsupported $ref {reference}",
                            self.document.file_name
                        )
                    })?;
                match self
                    .document
                    .spec
                    .components
                    .as_ref()
                    .and_then(|c| c.schemas.get(name))
                {
                    Some(ReferenceOr::Item(schema)) => schema.clone(),
                    _ => {
                        return Err(format!(
                            "{SPEC_DIR}/{}: {reference} is not a schema of the document",
                            self.document.file_name
                        ));
                    }
                }
            }
        };
        self.schema(&schema, field, depth)
    }

    fn schema(
        &mut self,
        schema: &openapiv3::Schema,
        field: &str,
        depth: usize,
    ) -> Result<(), String> {
        use openapiv3::{SchemaKind, Type};
        match &schema.schema_kind {
            SchemaKind::AllOf { all_of } => {
                for part in all_of {
                    self.schema_ref(part.clone(), field, depth + 1)?;
                }
            }
            SchemaKind::Type(Type::Object(object)) => {
                for (name, property) in &object.properties {
                    let inner = if field.is_empty() {
                        name.clone()
                    } else {
                        format!("{field}.{name}")
                    };
                    self.schema_ref(property.clone().unbox(), &inner, depth + 1)?;
                }
            }
            SchemaKind::Type(Type::Array(array)) => {
                if array.min_items.is_some() || array.max_items.is_some() {
                    self.push(
                        field,
                        format!(
                            "Items {{ min: {:?}, max: {:?} }}",
                            array.min_items, array.max_items
                        ),
                    );
                }
                if let Some(items) = &array.items {
                    self.schema_ref(items.clone().unbox(), &format!("{field}[]"), depth + 1)?;
                }
            }
            SchemaKind::Type(Type::Integer(integer)) => {
                self.refuse_exclusive(
                    field,
                    integer.exclusive_minimum || integer.exclusive_maximum,
                )?;
                if integer.minimum.is_some() || integer.maximum.is_some() {
                    let bound =
                        |b: Option<i64>| b.map(|v| format!("Some({v}.0)")).unwrap_or("None".into());
                    self.push(
                        field,
                        format!(
                            "Range {{ min: {}, max: {} }}",
                            bound(integer.minimum),
                            bound(integer.maximum)
                        ),
                    );
                }
            }
            SchemaKind::Type(Type::Number(number)) => {
                self.refuse_exclusive(field, number.exclusive_minimum || number.exclusive_maximum)?;
                if number.minimum.is_some() || number.maximum.is_some() {
                    let bound =
                        |b: Option<f64>| b.map(|v| format!("Some({v:?})")).unwrap_or("None".into());
                    self.push(
                        field,
                        format!(
                            "Range {{ min: {}, max: {} }}",
                            bound(number.minimum),
                            bound(number.maximum)
                        ),
                    );
                }
            }
            // Strings are checked by typify's newtypes; under oneOf/anyOf a limit holds only
            // for one alternative, which a field path cannot say.
            _ => {}
        }
        Ok(())
    }

    fn refuse_exclusive(&self, field: &str, exclusive: bool) -> Result<(), String> {
        if exclusive {
            return Err(format!(
                "{SPEC_DIR}/{}: {} body field {field} has an exclusive bound, which the request-limit \
                 check does not support; state it as an inclusive minimum/maximum",
                self.document.file_name, self.operation
            ));
        }
        Ok(())
    }

    fn push(&mut self, field: &str, limit: String) {
        self.found.push(BodyLimit {
            operation: self.operation.to_string(),
            field: field.to_string(),
            limit,
        });
    }
}

fn render_request_limits(documents: &[Document]) -> Result<String, String> {
    let rows: String = request_limits(documents)?
        .iter()
        .map(|l| {
            format!(
                "    ({:?}, {:?}, crate::validate::Limit::{}),\n",
                l.operation, l.field, l.limit
            )
        })
        .collect();
    Ok(format!(
        "\n/// Array-length and number-range limits of JSON request bodies, which the generated types do\n\
         /// not enforce: (operation, field path, limit), checked before a request is sent.\n\
         pub(crate) const REQUEST_LIMITS: &[(&str, &str, crate::validate::Limit)] = &[\n{rows}];\n"
    ))
}

/// Formats generated Rust `source` with rustfmt (edition 2024), read from stdin and written
/// to stdout; shared by every generator of the xtask.
pub(crate) fn rustfmt(source: &str) -> Result<String, String> {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!("cannot run rustfmt (install it with `rustup component add rustfmt`): {e}")
        })?;
    let mut stdin = child.stdin.take().ok_or("rustfmt: no stdin")?;
    let input = source.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child
        .wait_with_output()
        .map_err(|e| format!("rustfmt failed: {e}"))?;
    writer
        .join()
        .map_err(|_| "rustfmt writer thread panicked".to_string())?
        .map_err(|e| format!("cannot feed rustfmt: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "rustfmt rejected generated code: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| format!("rustfmt output is not UTF-8: {e}"))
}

fn existing_rs_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".rs"))
        .collect();
    names.sort();
    names
}

fn write_outputs(dir: &Path, outputs: &BTreeMap<String, String>) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for stale in existing_rs_files(dir)
        .into_iter()
        .filter(|name| !outputs.contains_key(name))
    {
        std::fs::remove_file(dir.join(&stale))
            .map_err(|e| format!("cannot remove {stale}: {e}"))?;
        println!("removed   {OUTPUT_DIR}/{stale}");
    }
    for (name, content) in outputs {
        let path = dir.join(name);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(content.as_str()) {
            println!("unchanged {OUTPUT_DIR}/{name}");
            continue;
        }
        std::fs::write(&path, content)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!(
            "wrote     {OUTPUT_DIR}/{name} ({} lines)",
            content.lines().count()
        );
    }
    Ok(())
}

fn check_outputs(dir: &Path, outputs: &BTreeMap<String, String>) -> Result<(), String> {
    let mut drift = Vec::new();
    for stale in existing_rs_files(dir)
        .into_iter()
        .filter(|name| !outputs.contains_key(name))
    {
        drift.push(format!(
            "{OUTPUT_DIR}/{stale}: not produced by any document (stale)"
        ));
    }
    for (name, expected) in outputs {
        match std::fs::read_to_string(dir.join(name)) {
            Err(_) => drift.push(format!("{OUTPUT_DIR}/{name}: missing")),
            Ok(actual) if actual != *expected => {
                let line = first_difference(&actual, expected);
                drift.push(format!(
                    "{OUTPUT_DIR}/{name}: differs from a fresh generation (first at line {line})"
                ));
            }
            Ok(_) => {}
        }
    }
    if drift.is_empty() {
        println!("generated code is up to date ({} files)", outputs.len());
        Ok(())
    } else {
        Err(format!(
            "generated code has drifted from openapi/:\n  {}\nrun `cargo xtask generate` and commit the result",
            drift.join("\n  ")
        ))
    }
}

fn first_difference(actual: &str, expected: &str) -> usize {
    let mut a = actual.lines();
    let mut e = expected.lines();
    let mut line = 1;
    loop {
        match (a.next(), e.next()) {
            (Some(x), Some(y)) if x == y => line += 1,
            (None, None) => return line,
            _ => return line,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(yaml: &str) -> Document {
        let spec: OpenAPI = serde_yaml::from_str(yaml).expect("test document parses");
        Document {
            file_name: "broken.yaml".into(),
            module: "broken".into(),
            title: "Broken".into(),
            spec,
        }
    }

    const HEAD: &str = "openapi: 3.0.3\ninfo: {title: Broken, version: '1'}\npaths:\n";

    #[test]
    fn operations_get_their_host_family_and_traits_or_a_named_error() {
        let with_servers = |servers: &str, operation_servers: &str| {
            document(&format!(
                "openapi: 3.0.3\ninfo: {{title: T, version: '1'}}\nservers: {servers}\npaths:\n  \
                 /v1/agents/{{agentId}}/audio:\n    get:\n      operationId: get_audio\n{operation_servers}      \
                 responses:\n        '200':\n          description: ok\n          content:\n            \
                 audio/wav: {{schema: {{type: string, format: binary}}}}\n  \
                 /v1/agents/{{agentId}}/note:\n    post:\n      operationId: set_note\n      \
                 x-polyai-idempotent: true\n      responses:\n        '201': {{description: ok}}\n"
            ))
        };
        let agents = "[{url: 'https://api.us.poly.ai'}, {url: 'https://api.studio.poly.ai'}]";
        let traits = operation_traits(&[with_servers(agents, "")]).expect("traits");
        let summary: Vec<_> = traits
            .iter()
            .map(|t| {
                (
                    t.id.as_str(),
                    t.method.as_str(),
                    t.host,
                    t.idempotent,
                    t.streaming.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("get_audio", "GET", "Agents", true, Some("audio/wav")),
                ("set_note", "POST", "Agents", true, None),
            ]
        );
        let rendered = render_operations(&traits);
        assert!(
            rendered.contains("method: reqwest::Method::GET"),
            "{rendered}"
        );
        assert!(
            rendered.contains("host: crate::region::HostFamily::Agents"),
            "{rendered}"
        );

        let mixed =
            "[{url: 'https://api.us.poly.ai'}, {url: 'https://api.us-1.platform.polyai.app'}]";
        let error = operation_traits(&[with_servers(mixed, "")])
            .err()
            .unwrap_or_default();
        assert!(error.contains("mix Agents and Platform"), "{error}");
        let foreign = "[{url: 'https://example.com'}]";
        let error = operation_traits(&[with_servers(foreign, "")])
            .err()
            .unwrap_or_default();
        assert!(error.contains("https://example.com"), "{error}");
        let moved = "      servers: [{url: 'https://api.us-1.platform.polyai.app'}]\n";
        let error = operation_traits(&[with_servers(agents, moved)])
            .err()
            .unwrap_or_default();
        assert!(
            error.contains("get_audio is served by the Platform hosts"),
            "{error}"
        );
    }

    #[test]
    fn unsupported_operations_are_named_not_panicked() {
        // Two request media types on one operation: progenitor refuses it.
        let yaml = format!(
            "{HEAD}  /ok:\n    get:\n      operationId: fine_operation\n      responses: {{'200': {{description: ok}}}}\n  \
             /upload:\n    post:\n      operationId: upload_file\n      requestBody:\n        content:\n          \
             multipart/form-data: {{schema: {{type: object}}}}\n          application/json: {{schema: {{type: object}}}}\n      \
             responses: {{'200': {{description: ok}}}}\n"
        );
        let error = generate_document(&document(&yaml)).expect_err("unsupported");
        assert!(error.contains("openapi/broken.yaml"), "{error}");
        assert!(
            error.contains("upload_file") && error.contains("POST /upload"),
            "{error}"
        );
        assert!(
            !error.contains("fine_operation"),
            "only the failing operation is named: {error}"
        );
    }

    #[test]
    fn a_missing_operation_id_is_named() {
        let yaml = format!(
            "{HEAD}  /things:\n    get:\n      responses: {{'200': {{description: ok}}}}\n"
        );
        let error = generate_document(&document(&yaml)).expect_err("no operationId");
        assert!(error.contains("GET /things has no operationId"), "{error}");
    }

    #[test]
    fn error_responses_are_stripped_before_generation() {
        let yaml = format!(
            "{HEAD}  /things:\n    get:\n      operationId: get_things\n      responses:\n        '200': {{description: ok}}\n        \
             '4XX': {{description: e, content: {{application/json: {{schema: {{type: object, properties: {{a: {{type: string}}}}}}}}}}}}\n        \
             '500': {{description: e, content: {{text/html: {{schema: {{type: string}}}}}}}}\n        \
             default: {{description: e}}\n"
        );
        let prepared = prepare(&document(&yaml)).expect("prepared");
        let ReferenceOr::Item(item) = &prepared.paths.paths["/things"] else {
            panic!()
        };
        let responses = &item.get.as_ref().unwrap().responses;
        assert_eq!(responses.responses.len(), 1);
        assert!(responses.default.is_none());
    }

    #[test]
    fn path_parameters_go_through_the_checked_encoder() {
        let source = "let url = format!(\"{}/a/{}/b/{}\", base, encode_path(&agent_id.to_string()), \
                      encode_path(&x1.to_string()),);";
        assert_eq!(
            checked_path_encoding(source).unwrap(),
            "let url = format!(\"{}/a/{}/b/{}\", base, crate::transport::encode_path(\"agent_id\", \
             &agent_id.to_string()).map_err(Error::InvalidRequest)?, crate::transport::encode_path(\"x1\", \
             &x1.to_string()).map_err(Error::InvalidRequest)?,);"
        );
        for unexpected in [
            "encode_path(agent_id)",
            "encode_path(&a.b.to_string())",
            "encode_path(&x)",
        ] {
            let error = checked_path_encoding(unexpected).unwrap_err();
            assert!(error.contains("unexpected shape"), "{unexpected}: {error}");
        }
    }

    #[test]
    fn request_limits_are_collected_from_bodies_refs_and_array_items() {
        let yaml = format!(
            "{HEAD}  /things:\n    post:\n      operationId: make_things\n      requestBody:\n        content:\n          \
             application/json: {{schema: {{$ref: '#/components/schemas/Make'}}}}\n      \
             responses: {{'200': {{description: ok}}}}\n\
             components:\n  schemas:\n    Make:\n      type: object\n      properties:\n        \
             name: {{type: string, minLength: 1}}\n        \
             items: {{type: array, minItems: 1, maxItems: 5, items: {{$ref: '#/components/schemas/Item'}}}}\n        \
             inner: {{allOf: [{{$ref: '#/components/schemas/Item'}}]}}\n    \
             Item:\n      type: object\n      properties:\n        \
             n: {{type: integer, minimum: 0, maximum: 9}}\n        \
             x: {{type: number, maximum: 0.5}}\n"
        );
        let limits = request_limits(&[document(&yaml)]).expect("collected");
        let found: Vec<(&str, &str, &str)> = limits
            .iter()
            .map(|l| (l.operation.as_str(), l.field.as_str(), l.limit.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "make_things",
                    "inner.n",
                    "Range { min: Some(0.0), max: Some(9.0) }"
                ),
                (
                    "make_things",
                    "inner.x",
                    "Range { min: None, max: Some(0.5) }"
                ),
                (
                    "make_things",
                    "items",
                    "Items { min: Some(1), max: Some(5) }"
                ),
                (
                    "make_things",
                    "items[].n",
                    "Range { min: Some(0.0), max: Some(9.0) }"
                ),
                (
                    "make_things",
                    "items[].x",
                    "Range { min: None, max: Some(0.5) }"
                ),
            ]
        );

        let exclusive = format!(
            "{HEAD}  /things:\n    post:\n      operationId: make_things\n      requestBody:\n        content:\n          \
             application/json: {{schema: {{type: object, properties: {{n: {{type: integer, minimum: 0, exclusiveMinimum: true}}}}}}}}\n      \
             responses: {{'200': {{description: ok}}}}\n"
        );
        let error = request_limits(&[document(&exclusive)])
            .err()
            .expect("refused");
        assert!(
            error.contains("exclusive bound") && error.contains("make_things"),
            "{error}"
        );
    }

    #[test]
    fn an_invalid_pattern_fails_generation() {
        let yaml = format!(
            "{HEAD}  /things:\n    get:\n      operationId: get_things\n      parameters:\n        \
             - {{name: q, in: query, schema: {{type: string, pattern: '^(unclosed'}}}}\n      \
             responses: {{'200': {{description: ok}}}}\n"
        );
        let error = generate_document(&document(&yaml)).expect_err("bad pattern");
        assert!(
            error.contains("^(unclosed") && error.contains("not a valid regular expression"),
            "{error}"
        );
    }

    #[test]
    fn every_send_returns_the_sdk_error_and_the_client_is_named_for_its_family() {
        let yaml = format!(
            "{HEAD}  /things/{{id}}:\n    get:\n      operationId: get_thing\n      parameters:\n        \
             - {{name: id, in: path, required: true, schema: {{type: string}}}}\n      \
             responses: {{'200': {{description: ok, content: {{application/json: {{schema: {{type: object}}}}}}}}}}\n    \
             delete:\n      operationId: delete_thing\n      parameters:\n        \
             - {{name: id, in: path, required: true, schema: {{type: string}}}}\n      \
             responses: {{'204': {{description: gone}}}}\n"
        );
        let code = generate_document(&document(&yaml)).expect("generated");
        assert_eq!(
            code.matches("crate::error::sdk_result(self.send_raw().await).await")
                .count(),
            2,
            "{code}"
        );
        assert!(
            code.contains("-> Result<ResponseValue<()>, crate::Error>"),
            "{code}"
        );
        assert!(code.contains("pub(crate) async fn send_raw("), "{code}");
        assert!(
            !code.contains("pub use progenitor_client::{ByteStream, ClientInfo, Error"),
            "progenitor's error is not re-exported: {code}"
        );
        assert!(code.contains("pub struct BrokenClient {"), "{code}");
        assert!(code.contains("[`BrokenClient::get_thing`]"), "{code}");
        assert!(code.contains("client: reqwest::Client,"), "{code}");
        assert!(
            !code.lines().any(|line| !line.trim_start().starts_with("//")
                && rename_word(line, "Client", "X", "reqwest::") != line),
            "no code line still names progenitor's `Client`: {code}"
        );
    }

    #[test]
    fn a_byte_stream_answer_is_the_sdks_byte_stream() {
        let yaml = format!(
            "{HEAD}  /things/{{id}}/audio:\n    get:\n      operationId: get_audio\n      parameters:\n        \
             - {{name: id, in: path, required: true, schema: {{type: string}}}}\n      \
             responses: {{'200': {{description: ok, content: {{audio/wav: {{schema: {{type: string, format: binary}}}}}}}}}}\n"
        );
        let code = generate_document(&document(&yaml)).expect("generated");
        assert!(
            code.contains("-> Result<ResponseValue<crate::ByteStream>, crate::Error>"),
            "{code}"
        );
        assert!(
            code.contains("crate::body_stream::sdk_stream_result(self.send_raw().await).await"),
            "{code}"
        );
        assert!(
            !code.contains("pub use progenitor_client::{ByteStream"),
            "progenitor's byte stream is not re-exported: {code}"
        );
    }

    #[test]
    fn a_send_of_another_shape_fails_generation() {
        let mut file: syn::File = syn::parse_str(
            "pub mod builder { impl<'a> GetThing<'a> { \
             pub async fn send(self) -> Result<ResponseValue<()>, String> { todo!() } } }",
        )
        .unwrap();
        let error = sdk_error_sends(&mut file, 1).unwrap_err();
        assert!(error.contains("update sdk_error_sends"), "{error}");

        let mut file: syn::File = syn::parse_str(
            "pub mod builder { impl<'a> GetThing<'a> { \
             pub async fn send(self) -> Result<ResponseValue<()>, Error<()>> { todo!() } } }",
        )
        .unwrap();
        let error = sdk_error_sends(&mut file, 2).unwrap_err();
        assert!(
            error.contains("1 generated `send` functions for 2 operations"),
            "{error}"
        );
    }

    #[test]
    fn client_names_follow_the_family() {
        assert_eq!(client_name("debug_chat"), "DebugChatClient");
        assert_eq!(client_name("dni"), "DniClient");
        assert_eq!(client_name("webhooks"), "WebhookEndpointsClient");
        assert_eq!(
            rename_word(
                "impl ClientInfo<T> for Client { reqwest::Client, super::Client, Clients }",
                "Client",
                "DniClient",
                "reqwest::"
            ),
            "impl ClientInfo<T> for DniClient { reqwest::Client, super::DniClient, Clients }"
        );
        let error = family_client_name("struct Other {}", "DniClient").unwrap_err();
        assert!(error.contains("pub struct Client"), "{error}");
    }

    #[test]
    fn block_doc_comments_become_line_comments() {
        let source = "    /**First\n\n    second line*/\n    fn f() {}\n";
        assert_eq!(
            line_doc_comments(source),
            "    ///First\n    ///\n    ///second line\n    fn f() {}\n"
        );
    }
}
