import Dispatch
import Foundation
import SNNCluster

/// SIGINT / SIGTERM handling for `start`: the first signal asks the run to stop gracefully (the loop finishes
/// or abandons its step, checkpoints, records the run as "stopped" and tells the workers); a second one exits
/// at once with 128 + signal.
final class StopSignals: @unchecked Sendable {
    private let lock = NSLock()
    private var received: Int32 = 0
    private var sources: [DispatchSourceSignal] = []
    /// Called on a second signal before the process exits (stop local workers).
    var onSecondSignal: (@Sendable () -> Void)?

    var requested: Bool { lock.lock(); defer { lock.unlock() }; return received != 0 }
    var signal: Int32 { lock.lock(); defer { lock.unlock() }; return received == 0 ? SIGINT : received }

    static func install() -> StopSignals {
        let s = StopSignals()
        for sig in [SIGINT, SIGTERM] {
            Foundation.signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [s] in s.received(sig) }
            source.resume()
            s.sources.append(source)
        }
        return s
    }

    private func received(_ sig: Int32) {
        lock.lock()
        let again = received != 0
        if !again { received = sig }
        lock.unlock()
        if again {
            Progress.line("snn-coord: second signal: exiting now without a checkpoint")
            onSecondSignal?()
            Foundation.exit(128 + sig)
        }
        Progress.line("snn-coord: signal \(sig): stopping after a checkpoint (send it again to exit at once)")
    }

    func cancel() { sources.forEach { $0.cancel() } }
}
