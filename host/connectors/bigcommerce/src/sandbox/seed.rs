//! Seeding: apparel styles with size x colour variants and stock at the default location.

use serde::{Deserialize, Serialize};

use super::SandboxHandle;
use super::catalog::create_product;
use crate::model::{
    CustomField, InventoryTracking, Money, NewProduct, NewVariant, ProductType, VariantOptionValue,
};

/// A style to load: one product, one variant per colour x size.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SeedProduct {
    /// Product name.
    pub name: String,
    /// Style code; variant SKUs are `{style}-{COLOUR}-{SIZE}`.
    pub style: String,
    /// Price.
    pub price: Money,
    /// Sizes, e.g. `["S","M","L"]`.
    pub sizes: Vec<String>,
    /// Colours, e.g. `["Navy","Black"]`.
    pub colours: Vec<String>,
    /// Units per variant at the default location.
    #[serde(default)]
    pub stock: i64,
    /// Season, fabric... as custom fields.
    #[serde(default)]
    pub custom_fields: Vec<(String, String)>,
}

impl SeedProduct {
    /// SKU of one variant.
    pub fn variant_sku(&self, colour: &str, size: &str) -> String {
        format!(
            "{}-{}-{}",
            self.style,
            colour.to_uppercase().replace(' ', ""),
            size.to_uppercase()
        )
    }
}

/// A small apparel catalog for demos: five styles, 3-5 sizes, 2-3 colours each.
pub fn apparel_catalog() -> Vec<SeedProduct> {
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    let season = |x: &str| vec![("season".to_owned(), x.to_owned())];
    vec![
        SeedProduct {
            name: "Classic Crew Tee".into(),
            style: "TEE100".into(),
            price: Money(2400),
            sizes: s(&["XS", "S", "M", "L", "XL"]),
            colours: s(&["White", "Black", "Navy"]),
            stock: 40,
            custom_fields: season("SS26"),
        },
        SeedProduct {
            name: "Heavyweight Hoodie".into(),
            style: "HOD200".into(),
            price: Money(6800),
            sizes: s(&["S", "M", "L", "XL"]),
            colours: s(&["Grey", "Black"]),
            stock: 25,
            custom_fields: season("AW26"),
        },
        SeedProduct {
            name: "Slim Chino".into(),
            style: "CHN300".into(),
            price: Money(7900),
            sizes: s(&["30", "32", "34", "36"]),
            colours: s(&["Khaki", "Olive", "Navy"]),
            stock: 15,
            custom_fields: season("SS26"),
        },
        SeedProduct {
            name: "Selvedge Denim Jacket".into(),
            style: "DNM400".into(),
            price: Money(14900),
            sizes: s(&["S", "M", "L"]),
            colours: s(&["Indigo", "Black"]),
            stock: 8,
            custom_fields: season("AW26"),
        },
        SeedProduct {
            name: "Pique Polo".into(),
            style: "POL500".into(),
            price: Money(4500),
            sizes: s(&["S", "M", "L", "XL"]),
            colours: s(&["White", "Forest"]),
            stock: 30,
            custom_fields: season("SS26"),
        },
    ]
}

/// Creates each style through the same path as `POST /catalog/products`, then sets stock.
pub(crate) fn seed(h: &SandboxHandle, products: &[SeedProduct]) -> Result<Vec<i64>, String> {
    let mut ids = Vec::new();
    for p in products {
        let variants = p
            .colours
            .iter()
            .flat_map(|c| p.sizes.iter().map(move |z| (c, z)))
            .map(|(colour, size)| NewVariant {
                sku: p.variant_sku(colour, size),
                option_values: vec![
                    VariantOptionValue::named("Colour", colour),
                    VariantOptionValue::named("Size", size),
                ],
                ..NewVariant::default()
            })
            .collect();
        let new = NewProduct {
            name: p.name.clone(),
            product_type: ProductType::Physical,
            sku: Some(p.style.clone()),
            weight: 0.5,
            price: p.price,
            inventory_tracking: Some(InventoryTracking::Variant),
            is_visible: Some(true),
            custom_fields: p
                .custom_fields
                .iter()
                .map(|(n, v)| CustomField {
                    id: None,
                    name: n.clone(),
                    value: v.clone(),
                })
                .collect(),
            variants,
            ..NewProduct::default()
        };
        let body = serde_json::to_value(&new).map_err(|e| e.to_string())?;
        let mut s = h.store();
        let id = create_product(&mut s, &body)
            .map_err(|r| format!("cannot seed {}: status {}", p.style, r.status()))?;
        let variant_ids: Vec<i64> = s
            .variants
            .values()
            .filter(|v| v.product_id == id)
            .map(|v| v.id)
            .collect();
        for v in variant_ids {
            s.stock.insert((v, 1), p.stock);
        }
        ids.push(id);
    }
    Ok(ids)
}
