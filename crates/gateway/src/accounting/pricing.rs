//! What a request cost: the user's price for the model if set, else the catalog's;
//! subscription and free tiers cost nothing.

use std::collections::HashMap;

use omniroute_formats::ir::Usage;
use omniroute_providers::Catalog;

/// USD per 1,000 input and output tokens.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct Price {
    pub input_per_1k: f64,
    pub output_per_1k: f64,
}

/// Where a price came from, for the pricing page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    Custom,
    Catalog,
    /// A subscription or free-tier provider: already paid for, or free.
    IncludedTier,
    Unknown,
}

/// The price of `model` (`provider/model`) and where it came from.
pub fn price_of(
    catalog: &Catalog,
    overrides: &HashMap<String, Price>,
    model: &str,
) -> (Price, Source) {
    if let Some(price) = overrides.get(model) {
        return (*price, Source::Custom);
    }
    let zero = Price {
        input_per_1k: 0.0,
        output_per_1k: 0.0,
    };
    let Some((provider, id)) = model.split_once('/') else {
        return (zero, Source::Unknown);
    };
    let Some(entry) = catalog.get(provider) else {
        return (zero, Source::Unknown);
    };
    if entry.tier == "subscription" || entry.tier == "free" {
        return (zero, Source::IncludedTier);
    }
    match entry.model(id) {
        Some(m) if m.input_per_1k.is_some() || m.output_per_1k.is_some() => (
            Price {
                input_per_1k: m.input_per_1k.unwrap_or(0.0),
                output_per_1k: m.output_per_1k.unwrap_or(0.0),
            },
            Source::Catalog,
        ),
        _ => (zero, Source::Unknown),
    }
}

/// USD for `usage` at `price` (input includes cached tokens, output includes reasoning).
pub fn cost(price: Price, usage: &Usage) -> f64 {
    (usage.input_tokens as f64 * price.input_per_1k
        + usage.output_tokens as f64 * price.output_per_1k)
        / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_catalog_and_tiers() {
        let catalog = Catalog::builtin().unwrap();
        let none = HashMap::new();
        let (p, s) = price_of(&catalog, &none, "openai/gpt-4o");
        assert_eq!(s, Source::Catalog);
        assert_eq!(p.input_per_1k, 0.0025);
        let free = catalog.providers.iter().find(|p| p.tier == "free").unwrap();
        let model = format!(
            "{}/{}",
            free.id,
            free.models.first().map_or("x", |m| m.id.as_str())
        );
        assert_eq!(price_of(&catalog, &none, &model).1, Source::IncludedTier);
        assert_eq!(price_of(&catalog, &none, "mynode/foo").1, Source::Unknown);
        let mut custom = HashMap::new();
        custom.insert(
            "openai/gpt-4o".to_owned(),
            Price {
                input_per_1k: 1.0,
                output_per_1k: 2.0,
            },
        );
        let (p, s) = price_of(&catalog, &custom, "openai/gpt-4o");
        assert_eq!(s, Source::Custom);
        let usage = Usage {
            input_tokens: 1500,
            output_tokens: 500,
            ..Default::default()
        };
        assert!((cost(p, &usage) - 2.5).abs() < 1e-12);
    }
}
