/// Finds the first key that appears twice in one JSON object.
///
/// Foundation's decoders keep the last of two equal keys without a word, so `{"lr": 0.1, "lr": 10}` would train
/// with 10 while the reader of the spec sees 0.1 first. Specs are refused on a repeated key instead; the
/// answer is the key's path written the way `SpecError` writes paths (`training.optimizer.lr`, `layers[2].type`).
///
/// Only the structure is scanned (strings, objects, arrays); the text is assumed to be otherwise valid JSON,
/// which the decoder checks afterwards.
enum DuplicateJSONKeys {
    private enum Container {
        case object(path: String, keys: Set<String>, pendingKey: String?)
        case array(path: String, index: Int)
    }

    /// The path of the first repeated key, or nil when every object's keys are distinct.
    static func first(in bytes: [UInt8]) -> String? {
        var stack: [Container] = []
        var i = 0
        /// The path of the value about to start in the innermost container.
        func childPath() -> String {
            switch stack.last {
            case .object(let path, _, let key)?: return path.isEmpty ? (key ?? "") : "\(path).\(key ?? "")"
            case .array(let path, let index)?: return "\(path)[\(index)]"
            case nil: return ""
            }
        }
        /// In an object the next string is a key when no key is pending.
        func expectsKey() -> Bool {
            if case .object(_, _, nil)? = stack.last { return true }
            return false
        }
        while i < bytes.count {
            let c = bytes[i]
            switch c {
            case UInt8(ascii: "\""):
                var j = i + 1
                var raw: [UInt8] = []
                while j < bytes.count, bytes[j] != UInt8(ascii: "\"") {
                    if bytes[j] == UInt8(ascii: "\\"), j + 1 < bytes.count { raw.append(bytes[j]); j += 1 }
                    raw.append(bytes[j]); j += 1
                }
                if expectsKey(), case .object(let path, var keys, _)? = stack.last {
                    let key = String(decoding: raw, as: UTF8.self)
                    if !keys.insert(key).inserted { return path.isEmpty ? key : "\(path).\(key)" }
                    stack[stack.count - 1] = .object(path: path, keys: keys, pendingKey: key)
                }
                i = j + 1
                continue
            case UInt8(ascii: "{"):
                stack.append(.object(path: childPath(), keys: [], pendingKey: nil))
            case UInt8(ascii: "["):
                stack.append(.array(path: childPath(), index: 0))
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = stack.popLast()
            case UInt8(ascii: ","):
                switch stack.last {
                case .object(let path, let keys, _)?: stack[stack.count - 1] = .object(path: path, keys: keys, pendingKey: nil)
                case .array(let path, let index)?: stack[stack.count - 1] = .array(path: path, index: index + 1)
                case nil: break
                }
            default:
                break
            }
            i += 1
        }
        return nil
    }
}
