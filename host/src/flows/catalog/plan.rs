//! The catalog's pure parts: a Blue Cherry style in the plugin's shape, and the content hash
//! that decides whether a product or variant is written again.

use selvedge_bluecherry::model::Style;
use selvedge_runtime::rules::catalog::{ErpColour, ErpSize, ErpSku, ErpStyle};
use serde::Serialize;
use sha2::{Digest, Sha256};

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
