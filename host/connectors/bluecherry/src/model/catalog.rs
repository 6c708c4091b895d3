//! Styles and their colour x size grid, as the ERP masters them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Cents;

/// One style with its colour x size (x dimension) grid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Style {
    /// Style number, zero padded (`00123`).
    pub style: String,
    /// `Style Name`.
    pub name: String,
    /// Season code, e.g. `SP26`; a pre-order season is an ordinary code flagged by the client's rules.
    pub season: String,
    /// Size scale code (`A`, `B`, `O`, ...).
    pub size_scale: String,
    /// `GENDER`.
    #[serde(default)]
    pub gender: String,
    /// Category levels `P1`, `P2`, `P3`.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Fabric content (`Style Detail Content Desc`).
    #[serde(default)]
    pub fabric: String,
    /// Colours offered.
    pub colours: Vec<Colour>,
    /// Sizes of the scale, in display order.
    pub sizes: Vec<Size>,
    /// Dimensions (fit or inseam); empty when the style has none.
    #[serde(default)]
    pub dimensions: Vec<String>,
    /// Retail price and wholesale levels for the whole style.
    pub prices: Prices,
    /// Every sellable SKU of the grid.
    pub skus: Vec<Sku>,
    /// Last change inside the ERP.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// A colour of a style.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Colour {
    /// `Color #`, the ERP's colour code.
    pub code: String,
    /// `Color Name`.
    pub name: String,
    /// NRF colour code, 3 digits.
    pub nrf_colour: String,
}

/// A size of a scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Size {
    /// Size label as in `SIZES` (`M`, `32`, `OS`).
    pub code: String,
    /// NRF size code, 5 digits.
    pub nrf_size: String,
}

/// Style-level prices: retail plus wholesale levels keyed `A`, `B`, ...
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Prices {
    /// `RET_PRICE`.
    pub retail: Cents,
    /// `A_PRICE`, `B_PRICE`, ... keyed by level letter.
    #[serde(default)]
    pub wholesale: BTreeMap<String, Cents>,
}

/// One cell of the grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sku {
    /// `Style-Color#-Size` or `Style-Color#-Size-Dim`.
    pub sku: String,
    /// `Color #`.
    pub colour: String,
    /// Size label.
    pub size: String,
    /// `Dm/Pk` (fit or inseam), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimension: Option<String>,
    /// `UPC Number`, 12 digits.
    pub upc: String,
    /// NRF size code, 5 digits.
    pub nrf_size: String,
    /// NRF colour code, 3 digits.
    pub nrf_colour: String,
}

/// Builds the SKU the way Blue Cherry exports do: `Style-Color#-Size[-Dim]`.
pub fn sku_code(style: &str, colour: &str, size: &str, dimension: Option<&str>) -> String {
    match dimension {
        Some(d) if !d.is_empty() => format!("{style}-{colour}-{size}-{d}"),
        _ => format!("{style}-{colour}-{size}"),
    }
}
