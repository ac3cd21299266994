import Foundation

extension EnergyProfile {
    /// The profile file format version this code reads.
    public static let formatVersion = 1

    /// Parses and validates one profile file.
    ///
    /// Format (JSON object, version 1):
    /// ```
    /// { "format": 1, "name": "cmos45-fp32", "description": "...", "source": "citation",
    ///   "wordBits": 32,                       // bits of one counted memory word on this hardware
    ///   "terms": {                            // every EnergyTerm must appear, each as exactly one of:
    ///     "mac":        {"pJ": 4.6, "grade": "derived", "source": "...", "note": "optional"},
    ///     "weightRead": {"memory": "sram1MB", "bits": 32},   // "bits" optional, defaults to wordBits
    ///     "spike":      {"unpriced": "why there is no price"},
    ///     "...":        {"included": "synapticOp", "reason": "why it is part of that constant"} },
    ///   "memory": { "sram1MB": {"pJPerAccess": 100, "accessBits": 64, "grade": "survey", "source": "..."} },
    ///   "notes": ["optional free text"] }
    /// ```
    /// Grades: measured-silicon, pre-silicon, survey, derived, assumption. `included` must point at a term
    /// that is itself priced. Errors are `ProfileError`s naming `file` and the field.
    ///
    /// Also: `"dataflow": "event-driven" | "output-stationary"` (how the full-model comparison is priced; when
    /// absent, event-driven is assumed and reports say so); `ifUpdate` is optional (absent: IF updates priced as
    /// `neuronUpdate`); memory classes may give `"capacityBytes"` (absent = unbounded, e.g. DRAM) and
    /// `"pJPerAccessHigh"` (the high end of a range). A term name that is not built in defines a new term and must
    /// map counters to it: `"routingHop": {"pJ": 3, "grade": ..., "source": ..., "counts": {"spikes": 2}}`
    /// (counters: `EventCounts.fieldNames` and `timesteps`). Every unknown key anywhere is an error naming it.
    public static func parse(_ data: Data, file: String) throws -> EnergyProfile {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw ProfileError(file: file, field: "", problem: "not valid JSON (\(Self.jsonProblem(error)))")
        }
        let r = Reader(file: file)
        let obj = try r.object(root, "")
        try r.onlyKeys(obj, ["format", "name", "description", "source", "wordBits", "dataflow", "terms", "memory", "notes"], in: "")
        let format = try r.int(obj, "format", in: "")
        guard format == formatVersion else {
            throw ProfileError(file: file, field: "format",
                               problem: "version \(format) is not supported (this build reads \(formatVersion))")
        }
        let name = try r.string(obj, "name", in: "")
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw ProfileError(file: file, field: "name", problem: "must be non-empty letters, digits, '-', '_' or '.'")
        }
        let description = try r.string(obj, "description", in: "")
        let source = try r.string(obj, "source", in: "")
        let wordBits = try r.int(obj, "wordBits", in: "")
        guard (1...1024).contains(wordBits) else {
            throw ProfileError(file: file, field: "wordBits", problem: "must be between 1 and 1024, got \(wordBits)")
        }

        var dataflow = Dataflow.eventDriven
        if obj["dataflow"] != nil {
            let d = try r.string(obj, "dataflow", in: "")
            guard let df = Dataflow(rawValue: d) else {
                throw ProfileError(file: file, field: "dataflow", problem: "'\(d)' is not a dataflow (known: "
                                   + Dataflow.allCases.map(\.rawValue).joined(separator: ", ") + ")")
            }
            dataflow = df
        }

        var classes: [String: MemoryClass] = [:]
        if obj["memory"] != nil {
            let mem = try r.object(obj["memory"]!, "memory")
            for (cname, value) in mem {
                let path = "memory.\(cname)"
                let c = try r.object(value, path)
                try r.onlyKeys(c, ["pJPerAccess", "pJPerAccessHigh", "accessBits", "capacityBytes", "grade", "source", "note"], in: path)
                let bits = try r.int(c, "accessBits", in: path)
                guard bits > 0 else {
                    throw ProfileError(file: file, field: path + ".accessBits", problem: "must be positive")
                }
                classes[cname] = MemoryClass(
                    name: cname, pJPerAccess: try r.energy(c, "pJPerAccess", in: path), accessBits: bits,
                    grade: try r.grade(c, in: path), source: try r.string(c, "source", in: path),
                    note: try r.optionalString(c, "note", in: path),
                    capacityBytes: c["capacityBytes"] == nil ? nil : Int64(try r.energy(c, "capacityBytes", in: path)),
                    pJPerAccessHigh: c["pJPerAccessHigh"] == nil ? nil : try r.energy(c, "pJPerAccessHigh", in: path))
            }
        }

        let termsObj = try r.object(obj["terms"] as Any, "terms")
        var custom: [CustomTerm] = []
        for key in termsObj.keys.sorted() where EnergyTerm(rawValue: key) == nil {
            let path = "terms.\(key)"
            let t = try r.object(termsObj[key]!, path)
            guard t["counts"] != nil else {
                throw ProfileError(file: file, field: path, problem: "unknown term (built in: "
                                   + EnergyTerm.allCases.map(\.rawValue).joined(separator: ", ")
                                   + "); a new term needs \"counts\" mapping counters to it")
            }
            try r.onlyKeys(t, ["pJ", "grade", "source", "note", "unpriced", "counts"], in: path)
            let countsObj = try r.object(t["counts"]!, path + ".counts")
            var counts: [String: Double] = [:]
            for (cname, _) in countsObj {
                guard CustomTerm.counterNames.contains(cname) else {
                    throw ProfileError(file: file, field: "\(path).counts.\(cname)", problem: "unknown counter (known: "
                                       + CustomTerm.counterNames.joined(separator: ", ") + ")")
                }
                counts[cname] = try r.number(countsObj, cname, in: path + ".counts")
            }
            guard !counts.isEmpty else { throw ProfileError(file: file, field: path + ".counts", problem: "maps no counter") }
            if t["unpriced"] != nil {
                guard t["pJ"] == nil else { throw ProfileError(file: file, field: path, problem: "needs exactly one of \"pJ\", \"unpriced\"") }
                custom.append(CustomTerm(name: key, price: nil, unpricedReason: try r.string(t, "unpriced", in: path), counts: counts))
            } else {
                custom.append(CustomTerm(name: key, price: PricedConstant(
                    pJ: try r.energy(t, "pJ", in: path), grade: try r.grade(t, in: path),
                    source: try r.string(t, "source", in: path), note: try r.optionalString(t, "note", in: path)),
                                         counts: counts))
            }
        }
        var terms: [EnergyTerm: TermPrice] = [:]
        for term in EnergyTerm.allCases {
            let path = "terms.\(term.rawValue)"
            if term == .ifUpdate && termsObj[term.rawValue] == nil { continue }   // optional: IF priced as neuronUpdate
            guard let value = termsObj[term.rawValue] else {
                throw ProfileError(file: file, field: path,
                                   problem: "missing: every term must be priced, \"unpriced\" or \"included\"")
            }
            let t = try r.object(value, path)
            try r.onlyKeys(t, ["pJ", "grade", "source", "note", "memory", "bits", "unpriced", "included", "reason"], in: path)
            let kinds = ["pJ", "memory", "unpriced", "included"].filter { t[$0] != nil }
            guard kinds.count == 1 else {
                throw ProfileError(file: file, field: path, problem: "needs exactly one of \"pJ\", \"memory\", "
                                   + "\"unpriced\", \"included\" (found \(kinds.isEmpty ? "none" : kinds.joined(separator: ", ")))")
            }
            switch kinds[0] {
            case "pJ":
                terms[term] = .priced(PricedConstant(
                    pJ: try r.energy(t, "pJ", in: path), grade: try r.grade(t, in: path),
                    source: try r.string(t, "source", in: path), note: try r.optionalString(t, "note", in: path)))
            case "memory":
                guard term.isMemory else {
                    throw ProfileError(file: file, field: path + ".memory", problem: "only memory terms map to a memory class")
                }
                let cname = try r.string(t, "memory", in: path)
                guard classes[cname] != nil else {
                    throw ProfileError(file: file, field: path + ".memory", problem: "memory class '\(cname)' is not defined under \"memory\" (defined: "
                                       + (classes.keys.sorted().joined(separator: ", ")) + ")")
                }
                let bits = t["bits"] == nil ? wordBits : try r.int(t, "bits", in: path)
                guard bits > 0 else { throw ProfileError(file: file, field: path + ".bits", problem: "must be positive") }
                terms[term] = .memory(className: cname, wordBits: bits)
            case "unpriced":
                terms[term] = .unpriced(reason: try r.string(t, "unpriced", in: path))
            default:
                let target = try r.string(t, "included", in: path)
                guard let other = EnergyTerm(rawValue: target), other != term else {
                    throw ProfileError(file: file, field: path + ".included", problem: "'\(target)' is not another term")
                }
                terms[term] = .included(in: other, reason: try r.string(t, "reason", in: path))
            }
        }
        for (term, price) in terms {
            if case .included(let other, _) = price {
                switch terms[other] ?? .unpriced(reason: "") {
                case .priced, .memory: break
                default:
                    throw ProfileError(file: file, field: "terms.\(term.rawValue).included",
                                       problem: "points at '\(other.rawValue)', which is not itself priced")
                }
            }
        }
        var notes: [String] = []
        if let n = obj["notes"] {
            guard let arr = n as? [Any] else { throw ProfileError(file: file, field: "notes", problem: "expected an array of strings") }
            for (i, v) in arr.enumerated() {
                guard let s = v as? String else {
                    throw ProfileError(file: file, field: "notes[\(i)]", problem: "expected a string")
                }
                notes.append(s)
            }
        }
        return EnergyProfile(name: name, description: description, source: source, wordBits: wordBits,
                             terms: terms, memoryClasses: classes, notes: notes, dataflow: dataflow,
                             dataflowStated: obj["dataflow"] != nil, customTerms: custom)
    }

    /// Reads and parses one profile file.
    public static func load(file url: URL) throws -> EnergyProfile {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ProfileError(file: url.path, field: "", problem: "cannot be read (\(firstLine(error)))")
        }
        return try parse(data, file: url.path)
    }

    /// Foundation's JSON error reduced to its description ("Unexpected end of file …"), not the NSError dump.
    static func jsonProblem(_ error: Error) -> String {
        let ns = error as NSError
        if let d = ns.userInfo["NSDebugDescription"] as? String { return d }
        return firstLine(error)
    }

    static func firstLine(_ error: Error) -> String {
        let s = (error as? LocalizedError)?.errorDescription ?? String(describing: error)
        return s.split(whereSeparator: \.isNewline).first.map(String.init) ?? s
    }
}

/// Typed field access that throws `ProfileError`s naming the field.
private struct Reader {
    let file: String

    func fail(_ path: String, _ key: String, _ problem: String) -> ProfileError {
        ProfileError(file: file, field: path.isEmpty ? key : (key.isEmpty ? path : "\(path).\(key)"), problem: problem)
    }

    /// Rejects a key the format does not know, naming it (a typo must not be silently ignored).
    func onlyKeys(_ o: [String: Any], _ allowed: [String], in path: String) throws {
        for key in o.keys.sorted() where !allowed.contains(key) {
            throw fail(path, key, "unknown key (expected one of \(allowed.joined(separator: ", ")))")
        }
    }

    func object(_ v: Any, _ path: String) throws -> [String: Any] {
        guard let o = v as? [String: Any] else { throw fail(path, "", "expected a JSON object") }
        return o
    }

    func string(_ o: [String: Any], _ key: String, in path: String) throws -> String {
        guard let v = o[key] else { throw fail(path, key, "missing (expected a string)") }
        guard let s = v as? String else { throw fail(path, key, "expected a string") }
        return s
    }

    func optionalString(_ o: [String: Any], _ key: String, in path: String) throws -> String? {
        guard o[key] != nil else { return nil }
        return try string(o, key, in: path)
    }

    func number(_ o: [String: Any], _ key: String, in path: String) throws -> Double {
        guard let v = o[key] else { throw fail(path, key, "missing (expected a number)") }
        // JSONSerialization hands booleans back as NSNumber subclasses; reject them by their class name.
        guard !(v is String), !"\(type(of: v))".contains("Boolean"), let d = (v as? NSNumber)?.doubleValue else {
            throw fail(path, key, "expected a number, got \(String(describing: v).prefix(40))")
        }
        return d
    }

    func energy(_ o: [String: Any], _ key: String, in path: String) throws -> Double {
        let d = try number(o, key, in: path)
        guard d.isFinite, d >= 0 else { throw fail(path, key, "expected a non-negative number of pJ, got \(d)") }
        return d
    }

    func int(_ o: [String: Any], _ key: String, in path: String) throws -> Int {
        let d = try number(o, key, in: path)
        guard d == d.rounded(), abs(d) < 1e9 else { throw fail(path, key, "expected an integer, got \(d)") }
        return Int(d)
    }

    func grade(_ o: [String: Any], in path: String) throws -> EvidenceGrade {
        let s = try string(o, "grade", in: path)
        guard let g = EvidenceGrade(rawValue: s) else {
            throw fail(path, "grade", "'\(s)' is not a grade (known: "
                       + EvidenceGrade.allCases.map(\.rawValue).joined(separator: ", ") + ")")
        }
        return g
    }
}
