//! The catalog's pure parts: a Blue Cherry style in the plugin's shape, the content hash that
//! decides whether a product or variant is written again, and the grid and option checks.

use selvedge_bluecherry::model::{Sku, Style};
use selvedge_runtime::rules::catalog::{
    self as rules, ErpColour, ErpSize, ErpSku, ErpStyle, ProductVariant,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::storefronts::StoredProduct;

/// A Blue Cherry style in the plugin's shape.
pub(crate) fn erp_style(s: &Style, wholesale_level: &str) -> ErpStyle {
    let wholesale = s
        .prices
        .wholesale
        .get(wholesale_level)
        .or_else(|| s.prices.wholesale.values().next())
        .map_or(0, |c| c.0);
    ErpStyle {
        style: s.style.clone(),
        name: s.name.clone(),
        season: s.season.clone(),
        size_scale: s.size_scale.clone(),
        category: s.categories.clone(),
        gender: s.gender.clone(),
        fabric: s.fabric.clone(),
        colours: s
            .colours
            .iter()
            .map(|c| ErpColour {
                code: c.code.clone(),
                name: c.name.clone(),
                nrf: c.nrf_colour.clone(),
            })
            .collect(),
        sizes: s
            .sizes
            .iter()
            .map(|z| ErpSize {
                code: z.code.clone(),
                nrf: z.nrf_size.clone(),
            })
            .collect(),
        dimensions: s.dimensions.clone(),
        skus: s
            .skus
            .iter()
            .map(|k| ErpSku {
                sku: k.sku.clone(),
                colour: k.colour.clone(),
                size: k.size.clone(),
                dimension: k.dimension.clone(),
                upc: k.upc.clone(),
                retail: s.prices.retail.0,
                wholesale,
            })
            .collect(),
        attributes: Vec::new(),
    }
}

/// Hex SHA-256 of a value's JSON: the content hash kept in the bindings.
pub(crate) fn content_hash<T: Serialize>(value: &T) -> String {
    // Serializing plain data structs cannot fail; an empty input would only force a rewrite.
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
}

/// The content hash of a product's own fields (its variants are hashed one by one).
pub(super) fn product_hash(product: &rules::Product) -> String {
    content_hash(&rules::Product {
        variants: Vec::new(),
        ..product.clone()
    })
}

/// Why a grid cell cannot be published to a SKU-list storefront, if it cannot.
pub(super) fn grid_problem(style: &Style, sku: &Sku) -> Option<String> {
    if !style.colours.iter().any(|c| c.code == sku.colour) {
        return Some(format!(
            "colour {} is not in style {}'s colours",
            sku.colour, style.style
        ));
    }
    if !style.sizes.iter().any(|z| z.code == sku.size) {
        return Some(format!(
            "size {} is not in size scale {}",
            sku.size, style.size_scale
        ));
    }
    match &sku.dimension {
        Some(d) if !style.dimensions.contains(d) => Some(format!(
            "dimension {d} is not listed on style {}",
            style.style
        )),
        _ => None,
    }
}

/// A new variant's option values as `(option id, value id)` on the stored product, or the
/// `name = label` pairs the product lacks (a new grid value is never created on its own:
/// adding option values changes what shoppers see).
pub(super) fn option_values(
    stored: &StoredProduct,
    variant: &ProductVariant,
) -> Result<Vec<(i64, i64)>, Vec<String>> {
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for (name, label) in &variant.options {
        let ids = stored
            .options
            .iter()
            .find(|o| o.name.eq_ignore_ascii_case(name))
            .and_then(|o| Some((o.id, o.values.iter().find(|(l, _)| l == label)?.1?)));
        match ids {
            Some(ids) => found.push(ids),
            None => missing.push(format!("{name} = {label}")),
        }
    }
    if missing.is_empty() {
        Ok(found)
    } else {
        Err(missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storefronts::StoredOption;

    fn variant(options: &[(&str, &str)]) -> ProductVariant {
        ProductVariant {
            sku: "TEE-NAVY-M".into(),
            options: options
                .iter()
                .map(|(n, l)| (n.to_string(), l.to_string()))
                .collect(),
            upc: String::new(),
            mpn: String::new(),
            price: 1_000,
        }
    }

    fn product() -> StoredProduct {
        StoredProduct {
            id: 7,
            options: vec![
                StoredOption {
                    id: 1,
                    name: "Colour".into(),
                    values: vec![("Navy".into(), Some(11)), ("Red".into(), None)],
                },
                StoredOption {
                    id: 2,
                    name: "Size".into(),
                    values: vec![("M".into(), Some(21))],
                },
            ],
            ..StoredProduct::default()
        }
    }

    #[test]
    fn a_variant_of_known_values_gets_their_ids_option_names_match_in_any_case() {
        let found = option_values(&product(), &variant(&[("colour", "Navy"), ("Size", "M")]));
        assert_eq!(found, Ok(vec![(1, 11), (2, 21)]));
    }

    #[test]
    fn a_new_grid_value_or_one_without_an_id_is_named_as_missing() {
        let missing = option_values(
            &product(),
            &variant(&[("Colour", "Red"), ("Size", "XL"), ("Fit", "Slim")]),
        );
        assert_eq!(
            missing,
            Err(vec![
                "Colour = Red".to_string(),
                "Size = XL".to_string(),
                "Fit = Slim".to_string()
            ])
        );
    }
}
