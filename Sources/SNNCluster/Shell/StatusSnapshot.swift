import Foundation

/// What `snn-coord status` shows: the coordinator rewrites this file (atomically) every second.
public struct StatusSnapshot: Codable, Sendable {
    public struct Worker: Codable, Sendable {
        public var id: String
        public var name: String
        public var inFlight: Int
        public var completedMicroBatches: Int
        public var completedSamples: Int
        public var secondsSinceSeen: Double
        public var samplesPerSecond: Double
    }
    public var runID: String
    public var pid: Int
    public var updatedAt: Double
    public var epoch: Int, step: Int, stepsPerEpoch: Int, epochs: Int
    public var parameterVersion: Int
    public var state: String
    public var finished: Bool
    public var workers: [Worker]
    public var pending: Int, inFlight: Int
    public var samplesPerSecond: Double

    public func write(to path: String) throws {
        let data = try JSONEncoder().encode(self)
        let tmp = path + ".tmp"
        try data.write(to: URL(fileURLWithPath: tmp))
        _ = rename(tmp, path)
    }

    public static func read(from path: String) throws -> StatusSnapshot {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SetupError("\(path): no coordinator status here (is a coordinator running with this --db?)")
        }
        return try JSONDecoder().decode(StatusSnapshot.self, from: data)
    }
}
