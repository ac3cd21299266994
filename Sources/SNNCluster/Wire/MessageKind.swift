import SNNCore
/// The message types of the protocol (version 5; the header's type field, PROTOCOL.md §4).
public enum MessageKind: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    case hello = 1
    case welcome = 2
    case refuse = 3
    case requestWork = 4
    case work = 5
    case noWork = 6
    case result = 7
    case heartbeat = 8
    case bye = 9
    case error = 10
    case spikeRaster = 11
    case workFailed = 12

    /// The upper-case name PROTOCOL.md uses, for logs and metrics.
    public var description: String {
        switch self {
        case .hello: "HELLO"
        case .welcome: "WELCOME"
        case .refuse: "REFUSE"
        case .requestWork: "REQUEST_WORK"
        case .work: "WORK"
        case .noWork: "NO_WORK"
        case .result: "RESULT"
        case .heartbeat: "HEARTBEAT"
        case .bye: "BYE"
        case .error: "ERROR"
        case .spikeRaster: "SPIKES"
        case .workFailed: "WORK_FAILED"
        }
    }

    /// Whether the header must carry a non-zero run id.
    public var requiresRunID: Bool {
        switch self {
        case .welcome, .work, .result, .spikeRaster, .workFailed: true
        default: false
        }
    }

    /// Payload frames after the header: (name, raw byte limit) per frame. WORK's third and fourth frames
    /// (parameters, state) come together or not at all.
    var payloadFrames: [(name: String, limit: Int)] {
        switch self {
        case .hello: [("HELLO body", WireLimits.maxHelloBodyBytes)]
        case .welcome: [("WELCOME body", 16), ("WELCOME spec", WireLimits.maxSpecBytes)]
        case .refuse: [("REFUSE body", 4 + WireLimits.maxTextBytes)]
        case .requestWork: [("REQUEST_WORK body", 10)]
        case .work: [("WORK body", WorkAssignment.bodyBytes), ("WORK samples", WireLimits.maxSamples * 4),
                     ("WORK parameters", WireLimits.maxParameters * 4), ("WORK state", WireLimits.maxParameters * 4),
                     ("WORK exponents", WireLimits.maxParameters / BlockQuantization.block + 1),
                     ("WORK exceptions", WireLimits.maxParameters * 8)]
        case .noWork: [("NO_WORK body", 6)]
        case .result: [("RESULT body", 72), ("RESULT gradient", WireLimits.maxGradient * 8),
                       ("RESULT statistics", WireLimits.maxStatistics * 4),
                       ("RESULT counters", WireLimits.maxCounters * 8),
                       ("RESULT spikes", WireLimits.maxSpikeLayers * 8),
                       ("RESULT micro-batches", WireLimits.maxCoveredMicroBatches * 4)]
        case .heartbeat: [("HEARTBEAT body", 18)]
        case .bye: [("BYE body", 2 + WireLimits.maxTextBytes)]
        case .error: [("ERROR body", 4 + WireLimits.maxTextBytes)]
        case .spikeRaster: [("SPIKES body", 32), ("SPIKES bits", SpikeRaster.maxBits / 8)]
        case .workFailed: [("WORK_FAILED body", WorkFailed.fixedBodyBytes + 2 + WireLimits.maxTextBytes)]
        }
    }

    /// The payload frame counts this type may have.
    var allowedPayloadCounts: ClosedRange<Int> {
        self == .work ? 2...6 : payloadFrames.count...payloadFrames.count
    }
}
