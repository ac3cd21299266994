import Foundation
import Testing
import SNNModel

/// `training.communication` (rounded gradients and updates): both keys optional, 2…24 bits each, unknown keys refused
/// with their path, and the spec re-encodes with it (workers receive the coordinator's spec in WELCOME).
@Suite struct CommunicationSpecTests {
    static func spec(_ communication: String) -> String {
        SpecFixtures.minimal(("\"training\": {", "\"training\": {\"communication\": \(communication), "))
    }

    @Test func validSettingsDecodeAndRoundTrip() throws {
        let spec = try SpecFixtures.decode(Self.spec(#"{"gradientBits": 8, "updateBits": 12}"#))
        #expect(spec.training.communication == CommunicationSpec(gradientBits: 8, updateBits: 12))
        #expect(try RunSpec.decode(spec.encoded(), source: "re-encoded") == spec)
        let one = try SpecFixtures.decode(Self.spec(#"{"updateBits": 2}"#))
        #expect(one.training.communication == CommunicationSpec(gradientBits: nil, updateBits: 2))
        #expect(try SpecFixtures.decode(SpecFixtures.minimal).training.communication == nil)
        #expect(!String(decoding: try SpecFixtures.decode(SpecFixtures.minimal).encoded(), as: UTF8.self).contains("communication"))
    }

    @Test func outOfRangeAndUnknownKeysAreRefusedWithTheirPath() throws {
        for (json, want) in [(#"{"gradientBits": 1}"#, "training.communication.gradientBits: must be 2…24 significant bits (got 1)"),
                             (#"{"updateBits": 25}"#, "training.communication.updateBits: must be 2…24 significant bits (got 25)"),
                             (#"{"gradientbits": 8}"#, "training.communication.gradientbits: unknown field (expected one of gradientBits, updateBits)")] {
            let message = try #require(SpecFixtures.error(Self.spec(json)))
            #expect(message.contains(want), "\(message)")
        }
    }
}
