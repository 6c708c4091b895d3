//! Targets a different contract (`selvedge:rules@9.9.0` with another inventory signature):
//! the host must refuse it before it ever runs.
wit_bindgen::generate!({
    inline: r#"
        package selvedge:rules@9.9.0;

        interface inventory {
            compute-ats: func(skus: list<string>) -> list<s32>;
        }

        world client-rules {
            export inventory;
        }
    "#,
});

struct Other;

impl exports::selvedge::rules::inventory::Guest for Other {
    fn compute_ats(skus: Vec<String>) -> Vec<i32> {
        skus.iter().map(|_| 1).collect()
    }
}

export!(Other);
