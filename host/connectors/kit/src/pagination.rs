//! The one pagination helper: every page of a list, whatever the API counts in (offsets,
//! page numbers).

use std::future::Future;

/// What one page says about the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next<C> {
    /// The next page starts at this cursor.
    At(C),
    /// This was the last page.
    Done,
}

/// Collects every page: `fetch(cursor)` answers one page's items and where the next starts.
/// Stops at [`Next::Done`] or an empty page (so a server that miscounts its pages cannot loop
/// us forever). A next cursor that does not move forward is `stuck(current, next)`: a server
/// that repeats a page would otherwise be read for ever.
pub async fn collect_pages<T, C, E, F, Fut>(
    first: C,
    mut fetch: F,
    stuck: impl FnOnce(C, C) -> E,
) -> Result<Vec<T>, E>
where
    C: PartialOrd + Clone,
    F: FnMut(C) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Next<C>), E>>,
{
    let mut all = Vec::new();
    let mut cursor = first;
    loop {
        let (items, next) = fetch(cursor.clone()).await?;
        let empty = items.is_empty();
        all.extend(items);
        match next {
            Next::At(_) if empty => return Ok(all),
            Next::At(next) if next > cursor => cursor = next,
            Next::At(next) => return Err(stuck(cursor, next)),
            Next::Done => return Ok(all),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .map(|rt| rt.block_on(f))
            .unwrap_or_else(|e| panic!("runtime: {e}"))
    }

    #[test]
    fn offsets_are_followed_to_the_last_page() {
        let data: Vec<u32> = (0..7).collect();
        let got = block_on(collect_pages(
            0usize,
            |offset| {
                let page: Vec<u32> = data.iter().skip(offset).take(3).copied().collect();
                let next = offset + page.len();
                async move {
                    Ok::<_, String>((page, if next < 7 { Next::At(next) } else { Next::Done }))
                }
            },
            |a, b| format!("stuck {a} -> {b}"),
        ));
        assert_eq!(got, Ok(data.clone()));
    }

    #[test]
    fn an_empty_page_ends_and_a_cursor_that_does_not_advance_is_an_error() {
        let empty = block_on(collect_pages(
            1u32,
            |page| async move { Ok::<_, String>((Vec::<u8>::new(), Next::At(page + 1))) },
            |a, b| format!("stuck {a} -> {b}"),
        ));
        assert_eq!(empty, Ok(vec![]));
        let stuck = block_on(collect_pages(
            5u32,
            |page| async move { Ok::<_, String>((vec![1u8], Next::At(page))) },
            |a, b| format!("stuck {a} -> {b}"),
        ));
        assert_eq!(stuck, Err("stuck 5 -> 5".to_string()));
    }
}
