// The two modes of the compute examples: `compute_steps.rs` compiled once with blocking
// calls and once with async ones, with the way each runs work in the background (a thread,
// a tokio task). Included by each compute example's `main` file.

mod blocking {
    use maybe_async::must_be_sync as maybe_async;
    use multicloud::blocking as mc;

    #[allow(dead_code)]
    fn spawn<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> std::thread::JoinHandle<T> {
        std::thread::spawn(f)
    }

    #[allow(dead_code)]
    fn join<T>(h: std::thread::JoinHandle<T>) -> T {
        h.join().expect("the waiting thread panicked")
    }

    include!("compute_steps.rs");
}

mod asynchronous {
    use maybe_async::must_be_async as maybe_async;
    use multicloud::asynchronous as mc;

    #[allow(dead_code)]
    fn spawn<T, Fut>(f: impl FnOnce() -> Fut) -> tokio::task::JoinHandle<T>
    where
        Fut: std::future::Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        tokio::spawn(f())
    }

    #[allow(dead_code)]
    async fn join<T>(h: tokio::task::JoinHandle<T>) -> T {
        h.await.expect("the waiting task panicked")
    }

    include!("compute_steps.rs");
}
