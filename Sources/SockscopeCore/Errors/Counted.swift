/// A count with its noun in the right number: `1 byte`, `0 bytes`, `2 datagrams`.
/// - Parameter plural: the plural when it is not the noun plus "s".
package func counted(_ count: Int, _ noun: String, plural: String? = nil) -> String {
    "\(count) \(count == 1 ? noun : plural ?? noun + "s")"
}
