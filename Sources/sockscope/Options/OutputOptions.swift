import ArgumentParser

/// `--json`, the same on every command: one JSON object per result (JSON Lines),
/// following schema/sockscope.schema.json; with it, a failure is a JSON object too.
struct OutputOptions: ParsableArguments {
    @Flag(name: .customLong("json"), help: "Print JSON Lines (one object per result or event; see JSON in the manual).")
    var json = false
}
