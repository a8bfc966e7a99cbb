import ArgumentParser
import SockscopeCore

extension ValidationError {
    /// Runs, in a command's `validate()`, a check its run makes too — reading the
    /// positionals, parsing an address given as an option — so that a usage error that
    /// depends on the command line alone is the parser's (with the usage line) before
    /// anything runs. The run keeps the check for the light path, which skips the
    /// parser. Only usage errors become the parser's: any other failure (a service
    /// name /etc/services lacks…) is left for the run to report with its own status.
    /// The parser's text is the runner's: `message — explanation`.
    static func check(_ body: () throws(SockscopeError) -> Void) throws {
        do { try body() } catch  where error.status == .usage { throw ValidationError(error.message + (error.explanation.map { " — " + $0 } ?? "")) } catch {}
    }
}
