import Foundation
import Testing
import SNNEnergy

@Suite("Loading energy profiles from files")
struct ProfileLoadingTests {
    func tempDir() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("snn-profiles-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    /// A valid user profile: 2 pJ per SOP, 1 pJ per MAC, everything else unpriced.
    func userProfileJSON(name: String = "my-chip", mac: String = "{\"pJ\": 1, \"grade\": \"assumption\", \"source\": \"me\"}") -> String {
        var terms = ["\"mac\": \(mac)", "\"synapticOp\": {\"pJ\": 2, \"grade\": \"measured-silicon\", \"source\": \"lab bench\"}"]
        for t in EnergyTerm.allCases.dropFirst(2) { terms.append("\"\(t.rawValue)\": {\"unpriced\": \"not measured\"}") }
        return """
        {"format": 1, "name": "\(name)", "description": "test chip", "source": "our lab", "wordBits": 16,
         "terms": {\(terms.joined(separator: ", "))}}
        """
    }

    @Test func userProfileFromDirectoryJoinsTheBuiltIns() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try userProfileJSON().write(to: dir.appendingPathComponent("mine.json"), atomically: true, encoding: .utf8)
        try "not a profile".write(to: dir.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let cat = try ProfileCatalog.load(extraDirectory: dir)
        #expect(cat.names == ["cmos45-fp32", "cmos45-int8", "loihi2018", "my-chip", "truenorth2014"])
        let p = try cat.profile(named: "my-chip")
        let r = EnergyReport.price(ledger: handLedger(), profile: p, samples: 2)
        #expect(close(r.totalJ, pJ(245 * 1 + 60 * 2)))
        #expect(r.unpriced.map(\.term) == Array(EnergyTerm.allCases.dropFirst(2)))
    }

    @Test func userProfileMayNotShadowABuiltIn() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try userProfileJSON(name: "loihi2018").write(to: dir.appendingPathComponent("x.json"), atomically: true, encoding: .utf8)
        let cat = try ProfileCatalog.load(extraDirectory: dir)
        #expect(cat.skipped.count == 1)
        let e = cat.skipped.first
        #expect(e?.field == "name" && e?.description.contains("already defined") == true)
        #expect(cat.names == ["cmos45-fp32", "cmos45-int8", "loihi2018", "truenorth2014"])
    }

    @Test func unknownProfileNameListsTheKnownOnes() throws {
        let e = #expect(throws: ProfileError.self) { try ProfileCatalog.load().profile(named: "cmos7") }
        #expect(e?.description == "energy profile: no profile named 'cmos7' (known: cmos45-fp32, cmos45-int8, loihi2018, truenorth2014)")
    }

    @Test(arguments: [
        ("{\"pJ\": \"four\", \"grade\": \"survey\", \"source\": \"x\"}", "terms.mac.pJ", "expected a number"),
        ("{\"pJ\": -1, \"grade\": \"survey\", \"source\": \"x\"}", "terms.mac.pJ", "non-negative"),
        ("{\"pJ\": 1, \"grade\": \"guess\", \"source\": \"x\"}", "terms.mac.grade", "'guess' is not a grade"),
        ("{\"pJ\": 1, \"grade\": \"survey\"}", "terms.mac.source", "missing"),
        ("{\"pJ\": 1, \"unpriced\": \"x\"}", "terms.mac", "exactly one of"),
        ("{\"memory\": \"sram8KB\"}", "terms.mac.memory", "only memory terms"),
        ("{\"included\": \"spike\", \"reason\": \"x\"}", "terms.mac.included", "not itself priced"),
        ("{\"pJ\": 1, \"grade\": \"survey\", \"source\": \"x\", \"nite\": \"y\"}", "terms.mac.nite", "unknown key"),
    ])
    func malformedTermGivesOneLineNamingFileAndField(term: String, field: String, problem: String) throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("bad.json")
        try userProfileJSON(mac: term).write(to: file, atomically: true, encoding: .utf8)
        // The bad file is skipped with its reason; the built-in profiles stay usable (issue 8 item 12: one bad
        // file used to fail every command that priced anything).
        let cat = try ProfileCatalog.load(extraDirectory: dir)
        #expect(cat.names == ["cmos45-fp32", "cmos45-int8", "loihi2018", "truenorth2014"])
        #expect(cat.skipped.count == 1)
        let e = cat.skipped.first
        let line = e?.description ?? ""
        #expect(e?.field == field)
        let asked = #expect(throws: ProfileError.self) { try cat.profile(named: "my-chip") }
        #expect(asked?.description.contains("not loaded: \(line)") == true, "\(asked?.description ?? "")")
        #expect(line.hasPrefix("energy profile file '\(file.path)': field '\(field)': "), "\(line)")
        #expect(line.contains(problem), "\(line)")
        #expect(!line.contains("\n"))
    }

    @Test func missingTermAndBrokenJSONAreNamed() throws {
        let missing = try #require(userProfileJSON().replacingOccurrences(of: "\"spike\": {\"unpriced\": \"not measured\"}, ", with: "") as String?)
        let e1 = #expect(throws: ProfileError.self) { try EnergyProfile.parse(Data(missing.utf8), file: "a.json") }
        #expect(e1?.description == "energy profile file 'a.json': field 'terms.spike': missing: every term must be priced, \"unpriced\" or \"included\"")
        let e2 = #expect(throws: ProfileError.self) { try EnergyProfile.parse(Data("{\"format\": 1,".utf8), file: "b.json") }
        #expect(e2?.description.hasPrefix("energy profile file 'b.json': not valid JSON") == true)
        #expect(e2?.description.contains("\n") == false)
        #expect(e2?.description.contains("NSCocoaErrorDomain") == false, "\(e2?.description ?? "")")
        let e3 = #expect(throws: ProfileError.self) { try EnergyProfile.parse(Data("{\"format\": true}".utf8), file: "c.json") }
        #expect(e3?.field == "format")
    }

    @Test func unknownKeysAnywhereAreErrorsNamingTheKey() throws {
        let base = userProfileJSON()
        func fail(_ json: String) -> ProfileError? {
            #expect(throws: ProfileError.self) { try EnergyProfile.parse(Data(json.utf8), file: "u.json") }
        }
        let top = fail(base.replacingOccurrences(of: "\"wordBits\"", with: "\"wordbits\": 32, \"wordBits\""))
        #expect(top?.field == "wordbits" && top?.problem.hasPrefix("unknown key") == true)
        let term = fail(base.replacingOccurrences(of: "\"terms\": {", with: "\"terms\": {\"routingHop\": {\"pJ\": 3, \"grade\": \"survey\", \"source\": \"x\"}, "))
        #expect(term?.field == "terms.routingHop" && term?.problem.contains("a new term needs \"counts\"") == true)
        let counter = fail(base.replacingOccurrences(of: "\"terms\": {", with: "\"terms\": {\"hop\": {\"pJ\": 3, \"grade\": \"survey\", \"source\": \"x\", \"counts\": {\"spiks\": 1}}, "))
        #expect(counter?.field == "terms.hop.counts.spiks" && counter?.problem.hasPrefix("unknown counter") == true)
        let flow = fail(base.replacingOccurrences(of: "\"wordBits\"", with: "\"dataflow\": \"weight-stationary\", \"wordBits\""))
        #expect(flow?.field == "dataflow" && flow?.problem.contains("output-stationary") == true)
    }

    @Test func everyBuiltInStatesItsDataflowAndIFPrice() throws {
        let cat = try ProfileCatalog.load()
        for p in cat.profiles {
            #expect(p.dataflowStated && p.pricesIFUpdates, "\(p.name)")
        }
        #expect(try cat.profile(named: "cmos45-int8").dataflow == .outputStationary)
        #expect(try cat.profile(named: "cmos45-fp32").dataflow == .eventDriven)
    }

    @Test func everyBuiltInConstantCarriesGradeAndSource() throws {
        for p in try ProfileCatalog.load().profiles {
            #expect(!p.source.isEmpty)
            for term in EnergyTerm.allCases where term != .ifUpdate || p.pricesIFUpdates {
                switch p.resolved(term) {
                case .priced(let pj, _, let source, _): #expect(pj > 0 && !source.isEmpty, "\(p.name).\(term)")
                case .unpriced(let reason), .included(_, let reason): #expect(!reason.isEmpty)
                }
            }
        }
    }
}
