//! B2C catalog rules: colour swatch + size rectangles (+ fit), SKU `STYLE-COLOUR-SIZE[-FIT]`.

use selvedge_plugin_sdk::catalog::{ErpSku, ErpStyle};
use selvedge_plugin_sdk::prelude::*;

pub fn map(styles: Vec<ErpStyle>) -> Vec<CatalogDecision> {
    let preorder_season = config::string_or("preorder_season", "");
    styles
        .into_iter()
        .map(|s| map_style(s, &preorder_season))
        .collect()
}

fn map_style(style: ErpStyle, preorder_season: &str) -> CatalogDecision {
    let mut issues = vec![];
    let mut variants = vec![];
    for (i, sku) in style.skus.iter().enumerate() {
        match variant(&style, sku) {
            Ok(v) => variants.push(v),
            Err(message) => {
                issues.push(error("unmapped-attribute", &format!("skus[{i}]"), message))
            }
        }
    }
    if variants.is_empty() && issues.is_empty() {
        issues.push(error(
            "no-skus",
            "skus",
            format!("style {} has no SKUs", style.style),
        ));
    }
    if !issues.is_empty() {
        return CatalogDecision {
            product: None,
            issues,
            reasons: vec![],
        };
    }
    let mut options = vec![
        ProductOption {
            name: "Colour".into(),
            kind: OptionKind::Swatch,
            values: style.colours.iter().map(|c| c.name.clone()).collect(),
        },
        ProductOption {
            name: "Size".into(),
            kind: OptionKind::Rectangles,
            values: style.sizes.iter().map(|s| s.code.clone()).collect(),
        },
    ];
    if !style.dimensions.is_empty() {
        options.push(ProductOption {
            name: "Fit".into(),
            kind: OptionKind::Rectangles,
            values: style.dimensions.clone(),
        });
    }
    let preorder =
        !preorder_season.is_empty() && style.season.eq_ignore_ascii_case(preorder_season);
    let price = variants.iter().map(|v| v.price).min().unwrap_or(0);
    let product = Product {
        style: style.style.clone(),
        sku: style.style.clone(),
        name: style.name.clone(),
        price,
        availability: if preorder {
            Availability::Preorder
        } else {
            Availability::Available
        },
        category_path: style.category.clone(),
        options,
        variants,
        custom_fields: vec![
            ("Season".into(), style.season.clone()),
            ("Fabric".into(), style.fabric.clone()),
        ],
    };
    CatalogDecision {
        product: Some(product),
        issues,
        reasons: vec![reason(
            "availability",
            if preorder {
                "pre-order season"
            } else {
                "in stock season"
            },
        )],
    }
}

fn variant(style: &ErpStyle, sku: &ErpSku) -> Result<ProductVariant, String> {
    let colour = style
        .colours
        .iter()
        .find(|c| c.code == sku.colour)
        .ok_or_else(|| {
            format!(
                "SKU {} has colour {} which is not in the style's colour grid",
                sku.sku, sku.colour
            )
        })?;
    let size = style
        .sizes
        .iter()
        .find(|s| s.code == sku.size)
        .ok_or_else(|| {
            format!(
                "SKU {} has size {} which is not in size scale {}",
                sku.sku, sku.size, style.size_scale
            )
        })?;
    if colour.nrf.len() != 3 || !colour.nrf.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "colour {} has NRF code {:?}: expected 3 digits",
            colour.code, colour.nrf
        ));
    }
    if size.nrf.len() != 5 || !size.nrf.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "size {} has NRF code {:?}: expected 5 digits",
            size.code, size.nrf
        ));
    }
    let mut options = vec![
        ("Colour".to_string(), colour.name.clone()),
        ("Size".to_string(), size.code.clone()),
    ];
    let mut expected = format!("{}-{}-{}", style.style, colour.code, size.code);
    if let Some(fit) = &sku.dimension {
        if !style.dimensions.contains(fit) {
            return Err(format!(
                "SKU {} has fit {fit} which the style does not list",
                sku.sku
            ));
        }
        options.push(("Fit".to_string(), fit.clone()));
        expected = format!("{expected}-{fit}");
    }
    if sku.sku != expected {
        return Err(format!(
            "SKU {} does not follow STYLE-COLOUR-SIZE[-FIT] (expected {expected})",
            sku.sku
        ));
    }
    Ok(ProductVariant {
        sku: sku.sku.clone(),
        options,
        upc: sku.upc.clone(),
        mpn: format!("NRF {}-{}", colour.nrf, size.nrf),
        price: sku.retail,
    })
}
