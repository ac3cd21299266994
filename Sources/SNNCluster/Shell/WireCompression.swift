/// Whether a process LZ4-compresses the frames it sends (PROTOCOL.md §3.3: compression is the sender's choice; a
/// receiver decodes stored and compressed frames alike, so this changes no bit of what is trained).
///
/// Over loopback or a Unix socket (`ipc://`: `--local-workers`, a coordinator and workers sharing one machine) bytes cost a memory copy, while
/// compressing costs CPU on the step's critical path: after a step's last micro-batch the worker encodes its RESULT, the
/// coordinator decodes it, encodes the next WORK and the worker decodes that, all while the compute slots wait. On
/// the demo spec that is about 2.8 + 2.0 + 3.6 + 3.0 ms per step (protocols/SCALING.md, "CPU per message") against a
/// copy of 1.7 MB and 0.8 MB. So by default (`auto`) frames are stored on loopback and compressed on a network.
/// `SNN_WIRE_COMPRESSION=always|never|auto` overrides it (measurements, or a loopback address that is really a tunnel).
public enum WireCompression: String, Sendable, CaseIterable {
    case auto, always, never

    /// The environment variable that overrides the default.
    public static let variable = "SNN_WIRE_COMPRESSION"

    /// The policy named by `value` (nil or empty: `auto`); throws one line naming the variable and the choices.
    public static func parse(_ value: String?) throws -> WireCompression {
        guard let v = value, !v.isEmpty else { return .auto }
        guard let c = WireCompression(rawValue: v.lowercased()) else {
            throw SetupError("\(variable)=\(v) is not a choice; use auto (stored on loopback, compressed otherwise), always or never")
        }
        return c
    }

    /// `WireCodec.encode`'s `compressAbove` for messages to or from `endpoint` (a ZeroMQ address): no frame is
    /// compressed when it is `Int.max`.
    public func compressAbove(endpoint: String) -> Int {
        switch self {
        case .always: WireCodec.defaultCompressAbove
        case .never: Int.max
        case .auto: CoordinatorOptions.isLoopback(endpoint) ? Int.max : WireCodec.defaultCompressAbove
        }
    }
}
