//! Deterministic apparel seed data: ~60 styles x colours x sizes (x fits), two warehouses,
//! two divisions, open work orders, B2B customers on terms, and price levels A/B.
//!
//! A tiny SplitMix64 generator keeps it reproducible across platforms and crate versions.

use std::collections::{BTreeMap, VecDeque};

use time::macros::datetime;

use super::state::SandboxState;
use crate::model::{
    AtsBuckets, Cents, Colour, Customer, CycleStatus, PriceBreak, PriceLevel, Prices, Size, Sku,
    Style, sku_code,
};

/// B2C e-commerce division.
pub const DIVISION_ECOM: &str = "01";
/// Wholesale division.
pub const DIVISION_WHOLESALE: &str = "02";
/// East-coast warehouse (e-commerce pool).
pub const WAREHOUSE_NJ: &str = "NJ01";
/// West-coast warehouse (wholesale pool).
pub const WAREHOUSE_CA: &str = "CA02";
/// The season sold as pre-order (its stock is mostly open work orders).
pub const PRE_ORDER_SEASON: &str = "FA26";
/// Customer number used for B2C web orders.
pub const WEB_CUSTOMER: &str = "WEB001";

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = u64::try_from(hi - lo + 1).unwrap_or(1).max(1);
        lo + i64::try_from(self.next() % span).unwrap_or(0)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// (`Color #`, name, NRF colour).
const COLOURS: &[(&str, &str, &str)] = &[
    ("001", "Black", "001"),
    ("100", "Optic White", "100"),
    ("410", "Navy", "410"),
    ("030", "Heather Grey", "030"),
    ("330", "Olive", "330"),
    ("201", "Chocolate", "201"),
    ("600", "Brick Red", "600"),
    ("250", "Khaki", "250"),
    ("420", "Indigo Rinse", "420"),
    ("630", "Burgundy", "630"),
];

/// Product type: name, P1, P2, size scale, retail cents, fabric.
const TYPES: &[(&str, &str, &str, &str, i64, &str)] = &[
    (
        "Pocket Tee",
        "Tops",
        "Knits",
        "A",
        2800,
        "100% Cotton Jersey",
    ),
    ("Henley", "Tops", "Knits", "A", 4200, "60% Cotton 40% Modal"),
    (
        "Oxford Shirt",
        "Tops",
        "Wovens",
        "A",
        7800,
        "100% Cotton Oxford",
    ),
    (
        "Fleece Hoodie",
        "Tops",
        "Fleece",
        "A",
        8800,
        "80% Cotton 20% Polyester",
    ),
    (
        "Crewneck Sweater",
        "Tops",
        "Sweaters",
        "A",
        9800,
        "100% Merino Wool",
    ),
    (
        "Slim Chino",
        "Bottoms",
        "Pants",
        "B",
        8400,
        "98% Cotton 2% Elastane",
    ),
    (
        "Selvedge Jean",
        "Bottoms",
        "Denim",
        "B",
        14800,
        "100% Cotton Selvedge Denim",
    ),
    (
        "Jogger",
        "Bottoms",
        "Pants",
        "B",
        6800,
        "100% Cotton French Terry",
    ),
    (
        "Canvas Tote",
        "Accessories",
        "Bags",
        "O",
        3800,
        "100% Cotton Canvas",
    ),
    (
        "Wool Beanie",
        "Accessories",
        "Headwear",
        "O",
        3200,
        "100% Wool",
    ),
];

const SCALE_A: &[&str] = &["XS", "S", "M", "L", "XL", "XXL", "3XL"];
const SCALE_B: &[&str] = &["28", "29", "30", "31", "32", "33", "34", "36"];
const GENDERS: &[&str] = &["MENS", "WOMENS", "UNISEX"];
const SEASONS: &[&str] = &["SP26", "SU26", PRE_ORDER_SEASON];

/// NRF size code: table digit 1 (adult clothing) + 4 digits; waist/inseam pairs combine.
fn nrf_size(scale: &str, idx: usize, size: &str, dimension: Option<&str>) -> String {
    match scale {
        "B" => {
            let waist: u32 = size.parse().unwrap_or(0);
            let inseam: u32 = dimension.and_then(|d| d.parse().ok()).unwrap_or(0);
            format!("1{waist:02}{inseam:02}")
        }
        "O" => "10000".to_string(),
        _ => format!("1{:04}", (idx + 1) * 100),
    }
}

/// 12-digit UPC-A with its check digit.
fn upc(item: u64) -> String {
    let body = format!("08412{:06}", item % 1_000_000);
    let sum: u32 = body
        .chars()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { d * 3 } else { d })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// A fresh sandbox state filled with deterministic data for `seed`.
pub fn seeded_state(seed: u64, style_count: usize) -> SandboxState {
    let mut rng = Rng(seed);
    let mut s = SandboxState {
        divisions: vec![DIVISION_ECOM.to_string(), DIVISION_WHOLESALE.to_string()],
        warehouses: BTreeMap::from([
            (WAREHOUSE_NJ.to_string(), DIVISION_ECOM.to_string()),
            (WAREHOUSE_CA.to_string(), DIVISION_WHOLESALE.to_string()),
        ]),
        cycle: CycleStatus {
            last_cycle_id: 0,
            last_completed_at: None,
            next_scheduled_at: None,
        },
        snapshots: VecDeque::new(),
        ..SandboxState::default()
    };
    let updated_at = datetime!(2026-01-05 09:00 UTC);
    let mut item = 0u64;
    for i in 0..style_count {
        let (kind, p1, p2, scale, retail, fabric) = TYPES[i % TYPES.len()];
        let gender = GENDERS[(i / TYPES.len()) % GENDERS.len()];
        let season = SEASONS[rng.range(0, 2) as usize];
        let style_no = format!("{:05}", 10_100 + i * 7);
        let sizes_all: Vec<&str> = match scale {
            "A" => SCALE_A.to_vec(),
            "B" => SCALE_B.to_vec(),
            _ => vec!["OS"],
        };
        let n_sizes = if scale == "O" {
            1
        } else {
            rng.range(4, sizes_all.len() as i64) as usize
        };
        let start = rng.range(0, (sizes_all.len() - n_sizes) as i64) as usize;
        let sizes = &sizes_all[start..start + n_sizes];
        let dimensions: Vec<String> = match scale {
            "B" if rng.chance(50) => vec!["30".into(), "32".into()],
            "A" if rng.chance(20) => vec!["REG".into(), "TALL".into()],
            _ => Vec::new(),
        };
        let n_colours = rng.range(3, 6) as usize;
        let first = rng.range(0, COLOURS.len() as i64 - 1) as usize;
        let colours: Vec<Colour> = (0..n_colours)
            .map(|k| {
                let (code, name, nrf) = COLOURS[(first + k) % COLOURS.len()];
                Colour {
                    code: code.into(),
                    name: name.into(),
                    nrf_colour: nrf.into(),
                }
            })
            .collect();
        let retail = Cents(retail + rng.range(0, 4) * 500);
        let a = Cents(retail.0 / 2);
        let b = Cents(a.0 * 9 / 10);
        let mut skus = Vec::new();
        for c in &colours {
            let dims: Vec<Option<&str>> = if dimensions.is_empty() {
                vec![None]
            } else {
                dimensions.iter().map(|d| Some(d.as_str())).collect()
            };
            for d in dims {
                for (si, size) in sizes.iter().enumerate() {
                    item += 1;
                    skus.push(Sku {
                        sku: sku_code(&style_no, &c.code, size, d),
                        colour: c.code.clone(),
                        size: size.to_string(),
                        dimension: d.map(str::to_string),
                        upc: upc(item),
                        nrf_size: nrf_size(scale, start + si, size, d),
                        nrf_colour: c.nrf_colour.clone(),
                    });
                }
            }
        }
        s.styles.push(Style {
            style: style_no,
            name: format!("{} {kind}", gender_label(gender)),
            season: season.to_string(),
            size_scale: scale.to_string(),
            gender: gender.to_string(),
            categories: vec![p1.into(), p2.into(), kind.into()],
            fabric: fabric.to_string(),
            colours,
            sizes: sizes
                .iter()
                .enumerate()
                .map(|(si, z)| Size {
                    code: z.to_string(),
                    nrf_size: nrf_size(scale, start + si, z, None),
                })
                .collect(),
            dimensions,
            prices: Prices {
                retail,
                wholesale: BTreeMap::from([("A".into(), a), ("B".into(), b)]),
            },
            skus,
            updated_at,
        });
    }
    s.reindex();
    seed_stock(&mut s, &mut rng);
    seed_customers(&mut s, &mut rng);
    s
}

fn gender_label(g: &str) -> &'static str {
    match g {
        "MENS" => "Men's",
        "WOMENS" => "Women's",
        _ => "Unisex",
    }
}

fn seed_stock(s: &mut SandboxState, rng: &mut Rng) {
    let mut work_orders = Vec::new();
    for style in &s.styles {
        let pre_order = style.season == PRE_ORDER_SEASON;
        for k in &style.skus {
            for (wh, max) in [(WAREHOUSE_NJ, 120), (WAREHOUSE_CA, 60)] {
                let qoh = if pre_order || rng.chance(8) {
                    0
                } else {
                    rng.range(0, max)
                };
                let b = AtsBuckets {
                    total_qoh: qoh,
                    total_pick: if qoh > 5 && rng.chance(10) {
                        rng.range(1, 3)
                    } else {
                        0
                    },
                    total_ship_to_wip: if rng.chance(3) { rng.range(1, 6) } else { 0 },
                    in_transit: if rng.chance(5) { rng.range(6, 24) } else { 0 },
                    ..AtsBuckets::default()
                };
                s.stock.insert((wh.to_string(), k.sku.clone()), b);
            }
            if pre_order || rng.chance(10) {
                work_orders.push((k.sku.clone(), rng.range(2, 12) * 12));
            }
        }
    }
    for (sku, qty) in work_orders {
        // Cannot fail: the SKU and warehouse were just seeded.
        let _ = s.add_work_order(WAREHOUSE_NJ, &sku, qty, None);
    }
}

fn seed_customers(s: &mut SandboxState, rng: &mut Rng) {
    const NAMES: &[&str] = &[
        "Harbor Outfitters",
        "Main Street Mercantile",
        "Northfield Supply Co",
        "Coastline Boutique",
        "Granite Peak Sports",
        "Union Square Goods",
        "Prairie Wind Apparel",
        "Bayside Threads",
        "Old Mill General Store",
        "Summit Ridge Outdoor",
        "Lakeshore Clothiers",
        "Redwood Trading Post",
    ];
    s.customers.push(Customer {
        customer: WEB_CUSTOMER.to_string(),
        name: "Web Store (B2C)".to_string(),
        terms_code: "CC".to_string(),
        net_days: 0,
        credit_limit: Cents::ZERO,
        balance: Cents::ZERO,
        price_level: "R".to_string(),
        division: DIVISION_ECOM.to_string(),
    });
    for (i, name) in NAMES.iter().enumerate() {
        let net60 = i % 3 == 2;
        let limit = rng.range(5, 50) * 100_000;
        s.customers.push(Customer {
            customer: format!("C{:05}", 10_001 + i),
            name: name.to_string(),
            terms_code: if net60 { "NET60" } else { "NET30" }.to_string(),
            net_days: if net60 { 60 } else { 30 },
            credit_limit: Cents(limit),
            balance: Cents(rng.range(0, limit / 100) * 100),
            price_level: if i % 2 == 0 { "A" } else { "B" }.to_string(),
            division: DIVISION_WHOLESALE.to_string(),
        });
    }
    for style in &s.styles {
        for (level, price) in &style.prices.wholesale {
            for k in &style.skus {
                s.price_levels.push(PriceLevel {
                    level: level.clone(),
                    sku: k.sku.clone(),
                    breaks: vec![
                        PriceBreak {
                            min_qty: 1,
                            unit_price: *price,
                        },
                        PriceBreak {
                            min_qty: 12,
                            unit_price: Cents(price.0 * 95 / 100),
                        },
                        PriceBreak {
                            min_qty: 48,
                            unit_price: Cents(price.0 * 90 / 100),
                        },
                    ],
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeding_is_deterministic_fast_and_sized_like_a_real_brand() {
        let started = std::time::Instant::now();
        let a = seeded_state(42, 60);
        assert!(
            started.elapsed().as_millis() < 1_000,
            "took {:?}",
            started.elapsed()
        );
        let b = seeded_state(42, 60);
        assert_eq!(a.styles, b.styles);
        assert_eq!(a.stock, b.stock);
        assert_eq!(a.customers, b.customers);
        assert_ne!(seeded_state(43, 60).styles, a.styles);

        let skus = a.sku_index.len();
        eprintln!("seeded {skus} SKUs, {} work orders", a.work_orders.len());
        assert!(skus >= 1_000, "{skus} SKUs");
        assert_eq!(a.upc_index.len(), skus, "UPCs are unique");
        assert!(a.styles.iter().any(|s| s.season == PRE_ORDER_SEASON));
        assert!(a.styles.iter().any(|s| s.dimensions.len() == 2));
        for scale in ["A", "B", "O"] {
            assert!(
                a.styles.iter().any(|s| s.size_scale == scale),
                "scale {scale}"
            );
        }
        assert!(a.styles.iter().all(|s| (1..=8).contains(&s.sizes.len())));
        assert!(!a.work_orders.is_empty());
    }

    #[test]
    fn upc_check_digit_is_valid() {
        let code = upc(1);
        let digits: Vec<u32> = code.chars().filter_map(|c| c.to_digit(10)).collect();
        let sum: u32 = digits
            .iter()
            .enumerate()
            .map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d })
            .sum();
        assert_eq!(sum % 10, 0, "{code}");
    }
}
