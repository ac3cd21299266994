import Foundation

/// The shared machinery of the spec's `Codable` conformances: string keys for any field, strict
/// containers that reject unknown fields, field defaults, and the translation of `DecodingError` into
/// `SpecError` paths.
struct SpecKey: CodingKey, Hashable {
    var stringValue: String
    var intValue: Int?
    init(_ string: String) { stringValue = string; intValue = nil }
    init?(stringValue: String) { self.init(stringValue) }
    init?(intValue: Int) { stringValue = String(intValue); self.intValue = intValue }
}

/// Thrown from inside `init(from:)` for a semantic problem found while decoding (unknown field, unknown
/// layer type, unknown enum value); carries its own message.
struct SpecFieldProblem: Error {
    let codingPath: [any CodingKey]
    let message: String
}

extension Decoder {
    /// A keyed container over this object that first rejects any key outside `fields` (and `alsoAccepted`,
    /// keys another type in the same object reads, like a layer's `type`); the error lists `fields`.
    func strictContainer(fields: [String], alsoAccepted: [String] = []) throws -> KeyedDecodingContainer<SpecKey> {
        let container = try container(keyedBy: SpecKey.self)
        for key in container.allKeys where !fields.contains(key.stringValue) && !alsoAccepted.contains(key.stringValue) {
            let expected = fields.isEmpty ? "it takes no fields" : "expected one of \(fields.joined(separator: ", "))"
            throw SpecFieldProblem(codingPath: codingPath + [key], message: "unknown field (\(expected))")
        }
        return container
    }
}

extension KeyedDecodingContainer where Key == SpecKey {
    /// The field's value; "missing" if absent.
    func required<T: Decodable>(_ key: String, as type: T.Type = T.self) throws -> T {
        try withValuePath(key, T.self) { try decode(T.self, forKey: SpecKey(key)) }
    }

    /// The field's value, or `fallback` when it is absent or `null`.
    func optional<T: Decodable>(_ key: String, default fallback: T) throws -> T {
        try withValuePath(key, T.self) { try decodeIfPresent(T.self, forKey: SpecKey(key)) } ?? fallback
    }

    /// A string field that must be one of `T`'s raw values, decoded once into `T`; anything else is an error
    /// naming the field and listing the values (`unknown reset 'x' (expected soft, hard)`).
    func requiredChoice<T: RawRepresentable & CaseIterable>(_ key: String, named what: String) throws -> T
    where T.RawValue == String {
        try Self.choice(try required(key, as: String.self), named: what, at: codingPath + [SpecKey(key)])
    }

    /// `requiredChoice`, or `fallback` when the field is absent or `null`.
    func optionalChoice<T: RawRepresentable & CaseIterable>(_ key: String, named what: String, default fallback: T) throws -> T
    where T.RawValue == String {
        guard let raw = try optional(key, as: String.self) else { return fallback }
        return try Self.choice(raw, named: what, at: codingPath + [SpecKey(key)])
    }

    /// `requiredChoice`, or nil when the field is absent or `null`.
    func optionalChoice<T: RawRepresentable & CaseIterable>(_ key: String, named what: String) throws -> T?
    where T.RawValue == String {
        guard let raw = try optional(key, as: String.self) else { return nil }
        return try Self.choice(raw, named: what, at: codingPath + [SpecKey(key)]) as T
    }

    private static func choice<T: RawRepresentable & CaseIterable>(_ raw: String, named what: String,
                                                                  at path: [any CodingKey]) throws -> T
    where T.RawValue == String {
        guard let value = T(rawValue: raw) else {
            let expected = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw SpecFieldProblem(codingPath: path, message: "unknown \(what) '\(raw)' (expected \(expected))")
        }
        return value
    }

    /// The field's value, or nil when it is absent or `null`.
    func optional<T: Decodable>(_ key: String, as type: T.Type = T.self) throws -> T? {
        try withValuePath(key, T.self) { try decodeIfPresent(T.self, forKey: SpecKey(key)) }
    }

    /// Foundation's JSONDecoder throws an internal, path-less error for a number that does not fit the
    /// field (2.5 for an Int, 1e40 for a Float) and reports it as "not valid JSON"; this catches it here,
    /// where the path is known, and names the field and the value found.
    private func withValuePath<R>(_ key: String, _ type: Any.Type, _ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch let error where !(error is DecodingError || error is SpecFieldProblem || error is SpecError) {
            let found = (try? decodeIfPresent(Double.self, forKey: SpecKey(key))).flatMap { $0 }
                .map { "got \($0)" } ?? "got a value that does not fit"
            throw SpecFieldProblem(codingPath: codingPath + [SpecKey(key)],
                                   message: "expected \(SpecError.describe(type)) (\(found))")
        }
    }
}

/// A string enum of the spec whose JSON value must be one of its raw values; anything else is an error
/// that lists them.
protocol SpecChoice: RawRepresentable, CaseIterable, Codable where RawValue == String {
    /// What one value is called in errors ("method", "readout").
    static var choiceName: String { get }
}

extension SpecChoice {
    /// Decodes the raw string, rejecting values outside `allCases` with a message listing them.
    static func decodeChoice(from decoder: any Decoder) throws -> Self {
        let raw = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(rawValue: raw) else {
            let expected = Self.allCases.map(\.rawValue).joined(separator: ", ")
            throw SpecFieldProblem(codingPath: decoder.codingPath,
                                   message: "unknown \(Self.choiceName) '\(raw)' (expected \(expected))")
        }
        return value
    }

    func encodeChoice(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Formats a coding path the way the JSON reads: `layers[2].kernel`.
func specPath(_ codingPath: [any CodingKey]) -> String {
    var out = ""
    for key in codingPath {
        if let index = key.intValue {
            out += "[\(index)]"
        } else {
            out += out.isEmpty ? key.stringValue : "." + key.stringValue
        }
    }
    return out
}

/// Joins a path and a field name: `join("layers[1]", "units")` = `layers[1].units`.
func specPath(_ base: String, _ field: String) -> String {
    base.isEmpty ? field : field.hasPrefix("[") ? base + field : base + "." + field
}

extension SpecError {
    /// The `SpecError` for anything thrown while decoding a spec from `source`.
    static func decoding(_ error: any Error, data: Data, source: String) -> SpecError {
        if let error = error as? SpecError { return error.from(source) }
        if let problem = error as? SpecFieldProblem {
            return SpecError(source: source, path: specPath(problem.codingPath), problem.message)
        }
        guard let error = error as? DecodingError else {
            return SpecError(source: source, path: "", "cannot decode: \(error)")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return SpecError(source: source, path: specPath(context.codingPath + [key]), "missing")
        case .valueNotFound(let type, let context):
            return SpecError(source: source, path: specPath(context.codingPath),
                             "null where \(describe(type)) is required; give a value")
        case .typeMismatch(let type, let context):
            let path = specPath(context.codingPath)
            return SpecError(source: source, path: path, "expected \(describe(type)) (\(context.debugDescription))")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return SpecError(source: source, path: "", "invalid JSON: \(jsonSyntaxDetail(data)); fix the syntax")
            }
            return SpecError(source: source, path: specPath(context.codingPath), context.debugDescription)
        @unknown default:
            return SpecError(source: source, path: "", "cannot decode: \(error)")
        }
    }

    /// Where and why the JSON does not parse. `JSONDecoder` on Linux says only "not valid JSON", so the
    /// data is parsed again with `JSONSerialization`, whose "around character N" becomes a line and column.
    static func jsonSyntaxDetail(_ data: Data) -> String {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return "not a JSON object"
        } catch {
            var detail = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? "\(error)"
            if detail.hasSuffix(".") { detail.removeLast() }
            if let range = detail.range(of: "around character "),
               let offset = Int(detail[range.upperBound...].prefix { $0.isNumber }) {
                let (line, column) = lineAndColumn(of: offset, in: data)
                detail = detail[..<range.lowerBound] + "at line \(line), column \(column)"
            }
            return detail
        }
    }

    /// 1-based line and column of byte `offset` in `data`.
    static func lineAndColumn(of offset: Int, in data: Data) -> (Int, Int) {
        var line = 1, column = 1
        for byte in data.prefix(offset) {
            if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }

    /// What a JSON value of `type` looks like, for "expected …" messages.
    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int32.Type, is Int64.Type, is UInt64.Type, is UInt32.Type: return "an integer"
        case is Float.Type, is Double.Type: return "a number"
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        default:
            let name = "\(type)"
            if name.hasPrefix("Array<Int") { return "a list of integers" }
            if name.hasPrefix("Array<Double") || name.hasPrefix("Array<Float") { return "a list of numbers" }
            if name.hasPrefix("Array") { return "a list [...]" }
            if name.hasPrefix("Dictionary") || name.hasSuffix("Spec") || name == "Normalization" { return "an object {...}" }
            return name
        }
    }
}
