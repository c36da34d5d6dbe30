//! Work on a batch split over a few threads, in order: the writer's CPU
//! work (decoding stored occurrences, computing their features) uses the
//! cores the readers leave idle.

/// `f` of every item, in order, computed on up to `threads` threads (the
/// calling one among them), each taking at least `min_per_thread` items:
/// a thread costs tens of microseconds. A panic in `f` goes on in the
/// caller, as a plain loop's would.
pub fn map<T, U, F>(items: Vec<T>, threads: usize, min_per_thread: usize, f: F) -> Vec<U>
where
    T: Send,
    U: Send,
    F: Fn(T) -> U + Sync,
{
    let threads = threads.clamp(1, (items.len() / min_per_thread.max(1)).max(1));
    if threads == 1 {
        return items.into_iter().map(f).collect();
    }
    let len = items.len();
    let chunk = len.div_ceil(threads);
    let mut parts: Vec<Vec<T>> = Vec::with_capacity(threads);
    let mut items = items.into_iter();
    while parts.len() < threads {
        let part: Vec<T> = items.by_ref().take(chunk).collect();
        if part.is_empty() {
            break;
        }
        parts.push(part);
    }
    let f = &f;
    let last = parts.pop();
    std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| scope.spawn(move || part.into_iter().map(f).collect::<Vec<U>>()))
            .collect();
        let mine: Vec<U> = last.into_iter().flatten().map(f).collect();
        let mut out: Vec<U> = Vec::with_capacity(len);
        for h in handles {
            out.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        out.extend(mine);
        out
    })
}

/// The threads [`map`] may use here: the cores the system gives the
/// process.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_every_item_in_order_whatever_the_threads() {
        for n in [0usize, 1, 5, 63, 64, 65, 1000, 1001] {
            let items: Vec<usize> = (0..n).collect();
            for threads in [1, 2, 3, 8] {
                let got = map(items.clone(), threads, 10, |x| (x, x * 2));
                let want: Vec<(usize, usize)> = items.iter().map(|&x| (x, x * 2)).collect();
                assert_eq!(got, want, "{n} items on {threads} threads");
            }
        }
    }

    #[test]
    fn uses_other_threads_for_a_large_batch() {
        let here = std::thread::current().id();
        let ids = map((0..400).collect::<Vec<u32>>(), 4, 100, |_| {
            std::thread::current().id()
        });
        assert!(ids.iter().any(|&t| t != here), "some on other threads");
        assert_eq!(ids.last(), Some(&here), "the last part on the caller's");
        let small = map((0..50).collect::<Vec<u32>>(), 4, 100, |_| {
            std::thread::current().id()
        });
        assert!(small.iter().all(|&t| t == here), "a small batch stays here");
    }

    #[test]
    fn a_panic_goes_on_in_the_caller() {
        let caught = std::panic::catch_unwind(|| {
            map((0..400).collect::<Vec<u32>>(), 4, 10, |x| {
                assert_ne!(x, 3, "item three");
                x
            })
        });
        assert!(caught.is_err());
    }
}
