//! Parsing of Blue Cherry report CSVs into the gateway's model types.
//!
//! The report kind is recognised by its header. Every bad cell becomes a [`CsvRowError`]
//! naming file, line and column; a file with any error is rejected whole, so a flow never
//! applies half a report.

use std::collections::{BTreeMap, HashMap};

use time::OffsetDateTime;

use super::cells::Table;
use crate::error::CsvRowError;
use crate::model::{
    AtsBuckets, AtsRow, AtsSnapshot, Cents, Colour, Prices, Size, Sku, Style, sku_code,
};

/// What a dropped file contained.
#[derive(Debug, Clone, PartialEq)]
pub enum DropContent {
    /// Inventory report: one snapshot (rows for the same warehouse, division and SKU summed).
    Inventory(AtsSnapshot),
    /// Style master export, grouped into styles.
    StyleMaster(Vec<Style>),
    /// Price extract rows.
    PriceExtract(Vec<PriceRow>),
}

/// One row of a price extract: a style, optionally narrowed to a colour and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceRow {
    /// `Style`.
    pub style: String,
    /// `Color #`, if the extract is per colour.
    pub colour: Option<String>,
    /// `SIZES`, if the extract is per size.
    pub size: Option<String>,
    /// `RET_PRICE`.
    pub retail: Cents,
    /// `A_PRICE`, `B_PRICE`, ... keyed by level letter.
    pub wholesale: BTreeMap<String, Cents>,
}

/// Where the cycle id and timestamp of an inventory file come from.
#[derive(Debug, Clone, Copy)]
pub struct FileMeta {
    /// Cycle id taken from the name (`..._<digits>.csv`) or the modification time.
    pub cycle_id: u64,
    /// Modification time of the file.
    pub modified: OffsetDateTime,
}

/// Parses one report. `file` names it in errors.
pub fn parse_report(
    file: &str,
    bytes: &[u8],
    meta: FileMeta,
) -> Result<DropContent, Vec<CsvRowError>> {
    // Exports from older ERP hosts may be Latin-1; decoding byte-for-byte loses nothing.
    let text: std::borrow::Cow<'_, str> = match std::str::from_utf8(bytes) {
        Ok(t) => t.into(),
        Err(_) => bytes
            .iter()
            .map(|&b| char::from(b))
            .collect::<String>()
            .into(),
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header_err = |problem: String| {
        vec![CsvRowError {
            file: file.to_string(),
            line: 1,
            column: "(header)".to_string(),
            problem,
        }]
    };
    let headers = reader
        .headers()
        .map_err(|e| header_err(format!("unreadable header: {e}")))?
        .clone();
    let columns: HashMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim().trim_start_matches('\u{feff}').to_string(), i))
        .collect();
    let mut t = Table {
        file,
        columns,
        errors: Vec::new(),
        dropped: 0,
    };
    let (kind, required): (&str, &[&str]) = if t.has("Total QOH") {
        (
            "inventory",
            &[
                "Div",
                "Style",
                "Color #",
                "Size",
                "UPC Number",
                "Location",
                "Total QOH",
                "Total Pick",
                "Avail QOH",
                "Total Open",
                "Total Ship To WIP",
                "Total Prod",
            ],
        )
    } else if t.has("Style Name") || t.has("Size Code") {
        (
            "style master",
            &[
                "Style",
                "Color #",
                "SIZES",
                "Size Code",
                "UPC Number",
                "Style Name",
                "Color Name",
                "Season",
            ],
        )
    } else if t.has("RET_PRICE") {
        ("price extract", &["Style", "RET_PRICE"])
    } else {
        return Err(header_err(
            "not a known report: expected inventory (`Total QOH`), style master (`Style Name`) or price extract (`RET_PRICE`) columns".into(),
        ));
    };
    let missing: Vec<&str> = required.iter().copied().filter(|c| !t.has(c)).collect();
    if !missing.is_empty() {
        return Err(missing
            .iter()
            .map(|c| CsvRowError {
                file: file.to_string(),
                line: 1,
                column: c.to_string(),
                problem: format!("required column of the {kind} report is missing"),
            })
            .collect());
    }
    let mut records = Vec::new();
    for result in reader.records() {
        match result {
            Ok(rec) => {
                let line = rec.position().map_or(0, |p| p.line());
                if rec.len() != headers.len() {
                    t.err(
                        line,
                        "(row)",
                        format!("has {} cells, the header has {}", rec.len(), headers.len()),
                    );
                } else {
                    records.push((line, rec));
                }
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                t.err(line, "(row)", format!("unreadable row: {e}"));
            }
        }
    }
    let content = match kind {
        "inventory" => DropContent::Inventory(inventory(&mut t, &records, meta)),
        "style master" => DropContent::StyleMaster(style_master(&mut t, &records, meta)),
        _ => DropContent::PriceExtract(price_extract(&mut t, &records)),
    };
    if t.errors.is_empty() {
        return Ok(content);
    }
    // Rows with the wrong cell count were noted while reading; report in file order.
    t.errors.sort_by_key(|e| e.line);
    if t.dropped > 0 {
        let more = t.dropped;
        t.errors.push(CsvRowError {
            file: file.to_string(),
            line: 0,
            column: "(file)".to_string(),
            problem: format!("{more} more errors not listed"),
        });
    }
    Err(t.errors)
}

fn inventory(
    t: &mut Table<'_>,
    records: &[(u64, csv::StringRecord)],
    meta: FileMeta,
) -> AtsSnapshot {
    let mut rows: Vec<AtsRow> = Vec::new();
    let mut index: HashMap<(String, String, String), usize> = HashMap::new();
    for (line, rec) in records {
        let line = *line;
        let division = t.text(rec, line, "Div");
        let style = t.text(rec, line, "Style");
        let colour = t.text(rec, line, "Color #");
        let size = t.text(rec, line, "Size");
        let warehouse = t.text(rec, line, "Location");
        let dimension = Some(t.cell(rec, "Dm/Pk").to_string()).filter(|d| !d.is_empty());
        let upc = t.upc(rec, line, "UPC Number");
        let buckets = AtsBuckets {
            total_qoh: t.qty(rec, line, "Total QOH"),
            total_pick: t.qty(rec, line, "Total Pick"),
            avail_qoh: t.qty(rec, line, "Avail QOH"),
            total_open: t.qty(rec, line, "Total Open"),
            total_ship_to_wip: t.qty(rec, line, "Total Ship To WIP"),
            total_prod: t.qty(rec, line, "Total Prod"),
            in_transit: t.qty(rec, line, "In Transit"),
        };
        let sku = sku_code(&style, &colour, &size, dimension.as_deref());
        // Lots and pools of one SKU arrive as several rows: the snapshot holds their sum.
        let key = (warehouse.clone(), division.clone(), sku.clone());
        if let Some(&i) = index.get(&key) {
            let b = &mut rows[i].buckets;
            b.total_qoh += buckets.total_qoh;
            b.total_pick += buckets.total_pick;
            b.avail_qoh += buckets.avail_qoh;
            b.total_open += buckets.total_open;
            b.total_ship_to_wip += buckets.total_ship_to_wip;
            b.total_prod += buckets.total_prod;
            b.in_transit += buckets.in_transit;
            continue;
        }
        index.insert(key, rows.len());
        rows.push(AtsRow {
            warehouse,
            division,
            sku,
            upc,
            style,
            colour,
            size,
            dimension,
            season: t.cell(rec, "Season").to_string(),
            buckets,
        });
    }
    AtsSnapshot {
        cycle_id: meta.cycle_id,
        completed_at: meta.modified,
        rows,
    }
}

fn style_master(
    t: &mut Table<'_>,
    records: &[(u64, csv::StringRecord)],
    meta: FileMeta,
) -> Vec<Style> {
    let mut styles: Vec<Style> = Vec::new();
    let mut by_style: HashMap<String, (usize, u64)> = HashMap::new();
    let mut seen_upc: HashMap<String, u64> = HashMap::new();
    let mut seen_sku: HashMap<String, u64> = HashMap::new();
    let levels: Vec<(String, String)> = wholesale_columns(t);
    for (line, rec) in records {
        let line = *line;
        let style_no = t.text(rec, line, "Style");
        let colour = t.text(rec, line, "Color #");
        let size = t.text(rec, line, "SIZES");
        let scale = t.text(rec, line, "Size Code");
        let name = t.text(rec, line, "Style Name");
        let colour_name = t.text(rec, line, "Color Name");
        let season = t.text(rec, line, "Season");
        let upc = t.upc(rec, line, "UPC Number");
        let nrf_size = t.code(rec, line, "NRF Size", 5);
        let nrf_colour = t.code(rec, line, "NRF Color", 3);
        let dimension = Some(t.cell(rec, "Dm/Pk").to_string()).filter(|d| !d.is_empty());
        let retail = t.money(rec, line, "RET_PRICE");
        let mut wholesale = BTreeMap::new();
        for (col, level) in &levels {
            if let Some(p) = t.money(rec, line, col) {
                wholesale.insert(level.clone(), p);
            }
        }
        if upc.is_empty() {
            t.err(line, "UPC Number", "is empty");
        } else if let Some(first) = seen_upc.insert(upc.clone(), line) {
            t.err(
                line,
                "UPC Number",
                format!("UPC {upc} is already used on line {first}"),
            );
        }
        let sku = sku_code(&style_no, &colour, &size, dimension.as_deref());
        if let Some(first) = seen_sku.insert(sku.clone(), line) {
            t.err(
                line,
                "SIZES",
                format!("SKU {sku} is already listed on line {first}"),
            );
        }
        let idx = match by_style.get(&style_no) {
            Some(&(i, first)) => {
                let st = &styles[i];
                for (col, theirs, ours) in [
                    ("Style Name", &st.name, &name),
                    ("Season", &st.season, &season),
                    ("Size Code", &st.size_scale, &scale),
                ] {
                    if theirs != ours {
                        let problem = format!(
                            "`{ours}` differs from `{theirs}` on line {first} for style {style_no}"
                        );
                        t.err(line, col, problem);
                    }
                }
                i
            }
            None => {
                by_style.insert(style_no.clone(), (styles.len(), line));
                let categories = ["P1", "P2", "P3"]
                    .iter()
                    .map(|c| t.cell(rec, c).to_string())
                    .filter(|c| !c.is_empty())
                    .collect();
                styles.push(Style {
                    style: style_no.clone(),
                    name,
                    season,
                    size_scale: scale,
                    gender: t.cell(rec, "GENDER").to_string(),
                    categories,
                    fabric: t.cell(rec, "Style Detail Content Desc").to_string(),
                    colours: Vec::new(),
                    sizes: Vec::new(),
                    dimensions: Vec::new(),
                    prices: Prices::default(),
                    skus: Vec::new(),
                    updated_at: meta.modified,
                });
                styles.len() - 1
            }
        };
        let st = &mut styles[idx];
        // Prices are style-level in this model: the first row that carries one wins.
        if st.prices.retail == Cents::ZERO
            && let Some(r) = retail
        {
            st.prices.retail = r;
        }
        for (level, p) in wholesale {
            st.prices.wholesale.entry(level).or_insert(p);
        }
        if !st.colours.iter().any(|c| c.code == colour) {
            st.colours.push(Colour {
                code: colour.clone(),
                name: colour_name,
                nrf_colour: nrf_colour.clone(),
            });
        }
        if !st.sizes.iter().any(|s| s.code == size) {
            st.sizes.push(Size {
                code: size.clone(),
                nrf_size: nrf_size.clone(),
            });
        }
        if let Some(d) = &dimension
            && !st.dimensions.contains(d)
        {
            st.dimensions.push(d.clone());
        }
        st.skus.push(Sku {
            sku,
            colour,
            size,
            dimension,
            upc,
            nrf_size,
            nrf_colour,
        });
    }
    styles
}

/// `A_PRICE`, `B_PRICE`, ... columns and their level letters.
fn wholesale_columns(t: &Table<'_>) -> Vec<(String, String)> {
    let mut levels: Vec<(String, String)> = t
        .columns
        .keys()
        .filter_map(|c| {
            let level = c.strip_suffix("_PRICE")?;
            (level != "RET"
                && !level.is_empty()
                && level.chars().all(|ch| ch.is_ascii_alphanumeric()))
            .then(|| (c.clone(), level.to_string()))
        })
        .collect();
    levels.sort();
    levels
}

fn price_extract(t: &mut Table<'_>, records: &[(u64, csv::StringRecord)]) -> Vec<PriceRow> {
    let levels = wholesale_columns(t);
    let mut out = Vec::with_capacity(records.len());
    for (line, rec) in records {
        let line = *line;
        let style = t.text(rec, line, "Style");
        let retail = t.money(rec, line, "RET_PRICE");
        if retail.is_none() && t.cell(rec, "RET_PRICE").is_empty() {
            t.err(line, "RET_PRICE", "is empty");
        }
        let mut wholesale = BTreeMap::new();
        for (col, level) in &levels {
            if let Some(p) = t.money(rec, line, col) {
                wholesale.insert(level.clone(), p);
            }
        }
        let opt = |c: &str| Some(t.cell(rec, c).to_string()).filter(|v| !v.is_empty());
        out.push(PriceRow {
            style,
            colour: opt("Color #"),
            size: opt("SIZES"),
            retail: retail.unwrap_or_default(),
            wholesale,
        });
    }
    out
}
