//! The batch-export route: CSV reports dropped into a folder, ingested exactly once.
// A failed unwrap in a test is a test failure with its message; that is what we want here.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::Path;

use selvedge_bluecherry::model::Cents;
use selvedge_bluecherry::{Completion, CsvDrop, CsvDropConfig, DropContent, DropFile, Pickup};

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

fn drop_folder(completion: Completion) -> (tempfile::TempDir, CsvDrop) {
    let dir = tempfile::tempdir().unwrap();
    let config = CsvDropConfig {
        completion,
        ..CsvDropConfig::new(dir.path())
    };
    (dir, CsvDrop::new(config))
}

fn ready(pickups: Vec<Pickup>) -> Vec<DropFile> {
    pickups
        .into_iter()
        .map(|p| match p {
            Pickup::Ready(f) => f,
            other => panic!("expected a ready file, got {other:?}"),
        })
        .collect()
}

fn csv_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".csv"))
        .collect();
    names.sort();
    names
}

#[test]
fn inventory_report_becomes_a_snapshot_with_named_buckets_and_is_archived() {
    let (dir, drop) = drop_folder(Completion::Rename);
    fs::write(
        dir.path().join("inventory_000042.csv"),
        fixture("inventory_000042.csv"),
    )
    .unwrap();
    let files = ready(drop.poll().unwrap());
    assert_eq!(files.len(), 1);
    let DropContent::Inventory(snap) = &files[0].content else {
        panic!("expected inventory, got {:?}", files[0].content);
    };
    assert_eq!(snap.cycle_id, 42, "cycle id from the file name");
    assert_eq!(snap.rows.len(), 3, "two lots of one SKU are summed");
    let l = snap.rows.iter().find(|r| r.sku == "10100-001-L").unwrap();
    assert_eq!(
        (
            l.buckets.total_qoh,
            l.buckets.avail_qoh,
            l.buckets.total_open
        ),
        (1_050, 1_010, 40)
    );
    let jean = snap.rows.iter().find(|r| r.warehouse == "CA02").unwrap();
    assert_eq!(jean.sku, "10135-420-30-32");
    assert_eq!(
        (jean.division.as_str(), jean.dimension.as_deref()),
        ("02", Some("32"))
    );
    assert_eq!(jean.buckets.total_prod, 144);

    let archived = drop.archive(&files[0]).unwrap();
    assert!(archived.starts_with(dir.path().join("archive")));
    assert!(csv_names(dir.path()).is_empty());
    assert!(drop.poll().unwrap().is_empty());
}

#[test]
fn style_master_rows_group_into_styles_with_grids_codes_and_prices() {
    let (dir, drop) = drop_folder(Completion::Rename);
    fs::write(
        dir.path().join("style_master.csv"),
        fixture("style_master.csv"),
    )
    .unwrap();
    let files = ready(drop.poll().unwrap());
    let DropContent::StyleMaster(styles) = &files[0].content else {
        panic!("expected style master");
    };
    assert_eq!(styles.len(), 2);
    let tee = &styles[0];
    assert_eq!(
        (
            tee.style.as_str(),
            tee.size_scale.as_str(),
            tee.season.as_str()
        ),
        ("10100", "A", "SP26")
    );
    assert_eq!(
        tee.colours
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["Black", "Navy"]
    );
    assert_eq!(
        tee.sizes
            .iter()
            .map(|s| s.code.as_str())
            .collect::<Vec<_>>(),
        ["M", "L"]
    );
    assert_eq!(tee.prices.retail, Cents(2800));
    assert_eq!(tee.prices.wholesale.get("A"), Some(&Cents(1400)));
    assert_eq!(tee.prices.wholesale.get("B"), Some(&Cents(1260)));
    assert_eq!(tee.categories, ["Tops", "Knits", "Pocket Tee"]);
    let jean = &styles[1];
    assert_eq!(jean.dimensions, ["32", "30"]);
    let skus: Vec<&str> = jean.skus.iter().map(|k| k.sku.as_str()).collect();
    assert_eq!(skus, ["10135-420-30-32", "10135-420-30-30"]);
    assert_eq!(jean.skus[0].nrf_size, "13032");
}

#[test]
fn price_extract_reads_retail_and_wholesale_levels() {
    let (dir, drop) = drop_folder(Completion::Rename);
    fs::write(dir.path().join("prices.csv"), fixture("price_extract.csv")).unwrap();
    let files = ready(drop.poll().unwrap());
    let DropContent::PriceExtract(rows) = &files[0].content else {
        panic!("expected price extract");
    };
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (rows[0].colour.as_deref(), rows[0].retail),
        (None, Cents(2800))
    );
    assert_eq!(rows[1].wholesale.get("A"), Some(&Cents(7400)));
    assert_eq!(rows[1].size.as_deref(), Some("30"));
}

#[test]
fn bad_rows_name_file_line_and_column_and_the_file_moves_to_rejected() {
    let (dir, drop) = drop_folder(Completion::Rename);
    fs::write(
        dir.path().join("bad_inventory.csv"),
        fixture("bad_inventory.csv"),
    )
    .unwrap();
    let pickups = drop.poll().unwrap();
    let [Pickup::Rejected { name, errors }] = pickups.as_slice() else {
        panic!("expected one rejection, got {pickups:?}");
    };
    assert_eq!(name, "bad_inventory.csv");
    let found: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.column.as_str())).collect();
    assert_eq!(
        found,
        [
            (3, "Total QOH"),
            (4, "Style"),
            (5, "UPC Number"),
            (6, "(row)")
        ]
    );
    assert!(errors[0].to_string().starts_with(
        "bad_inventory.csv line 3 column `Total QOH`: expected a whole quantity, got `abc`"
    ));

    let rejected = dir.path().join("rejected");
    assert!(rejected.join("bad_inventory.csv").exists());
    let report = fs::read_to_string(rejected.join("bad_inventory.csv.error.txt")).unwrap();
    assert!(
        report.contains("line 4 column `Style`: is empty"),
        "{report}"
    );
    assert!(
        csv_names(dir.path()).is_empty(),
        "nothing left to pick up again"
    );
}

#[test]
fn a_missing_required_column_is_reported_on_the_header_line() {
    let (dir, drop) = drop_folder(Completion::Rename);
    let text = "Div,Style,Color #,Size,UPC Number,Location,Total QOH\n01,10100,001,M,,NJ01,4\n";
    fs::write(dir.path().join("inv.csv"), text).unwrap();
    let pickups = drop.poll().unwrap();
    let [Pickup::Rejected { errors, .. }] = pickups.as_slice() else {
        panic!("expected a rejection, got {pickups:?}");
    };
    assert!(errors.iter().all(|e| e.line == 1));
    assert!(
        errors
            .iter()
            .any(|e| e.column == "Total Prod" && e.problem.contains("missing"))
    );
}

#[test]
fn a_file_of_unknown_shape_is_rejected() {
    let (dir, drop) = drop_folder(Completion::Rename);
    fs::write(dir.path().join("notes.csv"), "a,b\n1,2\n").unwrap();
    let pickups = drop.poll().unwrap();
    assert!(
        matches!(pickups.as_slice(), [Pickup::Rejected { errors, .. }] if errors[0].column == "(header)")
    );
}

#[test]
fn a_file_still_being_written_is_ignored_until_renamed() {
    let (dir, drop) = drop_folder(Completion::Rename);
    let tmp = dir.path().join("inventory_000043.csv.tmp");
    fs::write(&tmp, &fixture("inventory_000042.csv")[..200]).unwrap();
    assert!(drop.poll().unwrap().is_empty());
    fs::write(&tmp, fixture("inventory_000042.csv")).unwrap();
    fs::rename(&tmp, dir.path().join("inventory_000043.csv")).unwrap();
    assert_eq!(ready(drop.poll().unwrap()).len(), 1);
}

#[test]
fn with_done_markers_a_csv_without_its_marker_is_ignored() {
    let (dir, drop) = drop_folder(Completion::DoneMarker);
    let csv = dir.path().join("inventory_000044.csv");
    fs::write(&csv, &fixture("inventory_000042.csv")[..200]).unwrap();
    assert!(
        drop.poll().unwrap().is_empty(),
        "half-written, no marker yet"
    );
    fs::write(&csv, fixture("inventory_000042.csv")).unwrap();
    fs::write(dir.path().join("inventory_000044.csv.done"), "").unwrap();
    let files = ready(drop.poll().unwrap());
    drop.archive(&files[0]).unwrap();
    assert!(
        !dir.path().join("inventory_000044.csv.done").exists(),
        "marker consumed"
    );
}

#[test]
fn the_same_file_dropped_twice_is_applied_once() {
    let (dir, drop) = drop_folder(Completion::Rename);
    let bytes = fixture("inventory_000042.csv");
    fs::write(dir.path().join("inventory.csv"), &bytes).unwrap();
    let files = ready(drop.poll().unwrap());
    drop.archive(&files[0]).unwrap();

    fs::write(dir.path().join("inventory.csv"), &bytes).unwrap();
    let again = drop.poll().unwrap();
    assert!(
        matches!(again.as_slice(), [Pickup::Duplicate { name }] if name == "inventory.csv"),
        "{again:?}"
    );
    assert!(csv_names(dir.path()).is_empty());
    assert_eq!(
        csv_names(&dir.path().join("archive")).len(),
        2,
        "both copies kept, nothing deleted"
    );
    assert!(drop.poll().unwrap().is_empty());
}

#[test]
fn a_file_not_yet_archived_is_offered_again() {
    let (dir, drop) = drop_folder(Completion::Rename);
    fs::write(dir.path().join("prices.csv"), fixture("price_extract.csv")).unwrap();
    assert_eq!(ready(drop.poll().unwrap()).len(), 1);
    // The caller crashed before applying it: the next poll must offer it again.
    assert_eq!(ready(drop.poll().unwrap()).len(), 1);
}

#[test]
fn a_latin1_export_is_read_without_losing_accents() {
    let (dir, drop) = drop_folder(Completion::Rename);
    let mut bytes =
        b"Style,Color #,SIZES,Size Code,UPC Number,Style Name,Color Name,Season\n".to_vec();
    bytes.extend_from_slice(b"10100,110,M,A,084120000017,Pocket Tee,Cr\xe8me,SP26\n");
    fs::write(dir.path().join("styles.csv"), bytes).unwrap();
    let files = ready(drop.poll().unwrap());
    let DropContent::StyleMaster(styles) = &files[0].content else {
        panic!("expected style master");
    };
    assert_eq!(styles[0].colours[0].name, "Crème");
}

#[test]
fn every_copy_of_a_reused_file_name_is_kept_in_the_archive() {
    let (dir, drop) = drop_folder(Completion::Rename);
    let bytes = fixture("price_extract.csv");
    for _ in 0..3 {
        fs::write(dir.path().join("prices.csv"), &bytes).unwrap();
        for p in drop.poll().unwrap() {
            if let Pickup::Ready(f) = p {
                drop.archive(&f).unwrap();
            }
        }
    }
    assert_eq!(csv_names(&dir.path().join("archive")).len(), 3);
}
