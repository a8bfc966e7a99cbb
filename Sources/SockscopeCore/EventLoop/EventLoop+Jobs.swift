extension EventLoop {
    /// Runs jobs `0..<count` on this loop, at most `parallelism` under way at once (what
    /// `probe --tls` and `--banner` do with the open ports): `start` begins job `index`
    /// and `done` is called — at once, or later from the job's handlers or timer — when
    /// it has ended. Returns when every job has ended; a handler's error ends it early.
    package func runJobs(
        count: Int, parallelism: Int, start: (_ index: Int, _ done: @escaping () -> Void) throws(SockscopeError) -> Void
    ) throws(SockscopeError) {
        var next = 0
        var running = 0
        let done = { running -= 1 }
        try run(
            until: { next == count && running == 0 },
            prepare: { () throws(SockscopeError) in
                while running < max(1, parallelism) && next < count {
                    let index = next
                    next += 1
                    running += 1
                    try start(index, done)
                }
            })
    }
}
