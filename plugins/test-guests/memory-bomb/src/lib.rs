//! Allocates without bound: the host must stop it by its memory limit.
use selvedge_plugin_sdk::prelude::*;

struct Bomb;

impl Rules for Bomb {
    fn compute_ats(_c: StockContext, _rows: StockRows) -> Result<AtsRows, String> {
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            hoard.push(vec![1u8; 1 << 20]);
            std::hint::black_box(&hoard);
        }
    }
}

selvedge_plugin_sdk::export_rules!(Bomb);
