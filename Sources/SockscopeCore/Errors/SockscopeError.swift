/// A failure sockscope reports to the user: one line of text and an exit status.
///
/// Every error the tool can meet ends up as one of these, so that the command line
/// prints one clear line and exits with a documented code instead of trapping.
package struct SockscopeError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, in one sentence.
    package var message: String
    /// What it means or how to fix it, when that is worth saying.
    package var explanation: String?
    /// The exit status the process should end with.
    package var status: ExitStatus
    /// Not one client's failure but the server's own (a key log that cannot be
    /// written): a server that serves many ends with it instead of logging it.
    package var endsServer = false

    package init(_ message: String, explanation: String? = nil, status: ExitStatus) {
        self.message = message
        self.explanation = explanation
        self.status = status
    }

    /// A usage error (exit 64): bad input on the command line.
    package static func usage(_ message: String, explanation: String? = nil) -> SockscopeError {
        SockscopeError(message, explanation: explanation, status: .usage)
    }

    package var description: String {
        guard let explanation else { return message }
        return "\(message) — \(explanation)"
    }
}

extension SockscopeError {
    /// Runs `body`, turning whatever it throws into a `SockscopeError`: a failed socket
    /// call is explained (`SockscopeError(SocketCallError)`), a `SockscopeError` passes
    /// through, anything else is an internal error.
    package static func converting<Result>(_ body: () throws -> Result) throws(SockscopeError) -> Result {
        do {
            return try body()
        } catch let error as SocketCallError {
            throw SockscopeError(error)
        } catch let error as SockscopeError {
            throw error
        } catch {
            throw SockscopeError("\(error)", status: .internalError)
        }
    }
}
