extension TCPConversationTracker {
    /// A value for each end of a conversation, read and written like a dictionary keyed
    /// by `Side` but held in two fields: the tracker touches several per packet, and a
    /// capture can hold millions of packets.
    package struct PerSide<Value: Sendable>: Sendable, ExpressibleByDictionaryLiteral {
        private var client: Value?
        private var server: Value?

        package init(dictionaryLiteral elements: (Side, Value)...) {
            for (side, value) in elements { self[side] = value }
        }

        package subscript(_ side: Side) -> Value? {
            get { side == .client ? client : server }
            set {
                if side == .client { client = newValue } else { server = newValue }
            }
        }

        package subscript(_ side: Side, default value: @autoclosure () -> Value) -> Value {
            get { self[side] ?? value() }
            set { self[side] = newValue }
        }

        /// The values set, client's first.
        package var values: [Value] { [client, server].compactMap { $0 } }
    }
}

extension TCPConversationTracker.PerSide: Equatable where Value: Equatable {}
