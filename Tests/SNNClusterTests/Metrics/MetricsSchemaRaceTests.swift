import Foundation
import SNNCluster
import Testing

/// Several processes' worth of connections create one new metrics database at the same moment: every one
/// opens it (no "table already exists", no "not a metrics database"). Plain threads, not the cooperative pool.
@Suite struct MetricsSchemaRaceTests {
    @Test func concurrentCreatorsAllSucceed() throws {
        for round in 0..<10 {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("race-\(UUID())").path
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let path = dir + "/m.sqlite"
            let n = 6
            let errors = Errors()
            let group = DispatchGroup()
            for _ in 0..<n {
                group.enter()
                Thread {
                    defer { group.leave() }
                    do { _ = try MetricsStore.open(path: path) } catch { errors.add("\(error)") }
                }.start()
            }
            group.wait()
            #expect(errors.all.isEmpty, "round \(round): \(errors.all)")
        }
    }

    final class Errors: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [String] = []
        func add(_ s: String) { lock.lock(); list.append(s); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return list }
    }
}
