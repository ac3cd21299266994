/// The size limits of protocol version 1 (PROTOCOL.md §3.4 and §5), enforced by encoder and decoder alike
/// and checked before any memory is allocated for a frame.
public enum WireLimits {
    /// Header frame length, exactly.
    public static let headerBytes = 32
    /// Total raw bytes of one message (header + decompressed payload), and total bytes on the wire.
    public static let maxMessageBytes = 1 << 30
    /// Frames the transport accepts in one ZeroMQ message before it drains and drops it.
    public static let maxTransportFrames = 64
    /// Bytes the transport accepts in one ZeroMQ message (message limit + room for the routing id).
    public static let maxTransportBytes = (1 << 30) + (1 << 20)

    public static let maxNameBytes = 255
    public static let maxBuildIDBytes = 512
    public static let maxFingerprintBytes = 128
    public static let maxResumeTokenBytes = 256
    public static let maxTextBytes = 4096
    public static let maxHelloBodyBytes = 2048
    /// Run spec JSON in WELCOME.
    public static let maxSpecBytes = 1 << 20
    /// Sample indices in one WORK (and samples in one RESULT).
    public static let maxSamples = 65_536
    /// Micro-batches one RESULT may cover (a worker's sum over its micro-batches of one step).
    public static let maxCoveredMicroBatches = 4096
    /// Samples one RESULT may cover (over all its micro-batches).
    public static let maxResultSamples = 1 << 24
    /// State floats (parameters + BN running statistics) in one WORK.
    public static let maxParameters = 64 << 20
    /// Gradient elements in one RESULT.
    public static let maxGradient = 64 << 20
    /// Statistics floats in one RESULT.
    public static let maxStatistics = 16 << 20
    /// Event counters in one RESULT.
    public static let maxCounters = 1 << 20
    /// Layers in spikes-per-layer of one RESULT.
    public static let maxSpikeLayers = 65_536
    /// Spikes in one bit-packed spike tensor frame.
    public static let maxSpikeTensor = 1 << 32
}
