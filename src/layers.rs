//! The dependency rule, checked: each module of `src/` may use only modules of its own layer
//! or of the layers below it. README's architecture section explains the order.

/// From the bottom up. The platform knows no domain; each domain may use the platform and the
/// domains listed before it; the app root wires them all together.
const LAYERS: &[&[&str]] = &[
    &["error", "dates", "platform", "events", "ui"],
    &["catalog"],
    &["cart"],
    &["search"],
    &["notifications"],
    &["webhooks"],
    &["promotions"],
    &["checkout"],
    &["reviews"],
    &["recommendations"],
    &["accounts"],
    &["storefront"],
    &["admin"],
    &["fulfilment"],
    &["customers"],
    &["analytics"],
    &["integrations"],
    &["audit"],
    &["app", "server"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The top-level modules a source text names after `crate::`, including every name of a
/// grouped import such as `use crate::{cart::db, error::AppError};`.
fn modules_used(text: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut used = Vec::new();
    for (start, _) in text.match_indices("crate::") {
        let rest = &text[start + "crate::".len()..];
        if !rest.starts_with('{') {
            used.push(ident(rest));
            continue;
        }
        // Names directly inside the outer braces: after the `{` and after each comma at depth 1.
        let mut depth = 0;
        let mut expect_name = false;
        for (i, c) in rest.char_indices() {
            match c {
                '{' => {
                    depth += 1;
                    expect_name = depth == 1;
                }
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                ',' if depth == 1 => expect_name = true,
                c if expect_name && (c.is_ascii_alphabetic() || c == '_') => {
                    used.push(ident(&rest[i..]));
                    expect_name = false;
                }
                _ => {}
            }
        }
    }
    used
}

/// Every `.rs` file under `dir`, with the top-level module it belongs to.
fn sources(dir: &std::path::Path, module: Option<&str>, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        let name = path
            .file_stem()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let owner = module.map_or(name.clone(), str::to_owned);
        if path.is_dir() {
            sources(&path, Some(&owner), out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("a readable source file");
            out.push((owner, text));
        }
    }
}

#[test]
fn modules_use_only_their_layer_and_the_layers_below() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, None, &mut files);
    let mut wrong = Vec::new();
    for (module, text) in &files {
        if ["lib", "main", "layers"].contains(&module.as_str()) {
            continue;
        }
        let Some(own) = layer_of(module) else {
            wrong.push(format!("`{module}` is in no layer: add it to LAYERS"));
            continue;
        };
        for used in modules_used(text) {
            match layer_of(&used) {
                Some(layer) if layer <= own => {}
                Some(_) => wrong.push(format!("`{module}` uses `{used}`, a layer above it")),
                None => wrong.push(format!("`{module}` uses `{used}`, which is in no layer")),
            }
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn grouped_and_inline_paths_are_all_read() {
    let text = "use crate::{\n    cart::{db, pages::X},\n    error::AppError,\n};\n\
                fn f() { crate::search::index::of(); }";
    assert_eq!(modules_used(text), ["cart", "error", "search"]);
}
