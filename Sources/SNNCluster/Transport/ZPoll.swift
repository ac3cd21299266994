import CZeroMQ
import Foundation

/// `zmq_poll` over several sockets (the stable API; libzmq 4.3.4 has no draft `zmq_poller`).
public enum ZPoll {
    /// Which of `sockets` have a message to read, waiting at most `timeoutMs` (-1 = forever, 0 = check).
    /// An interrupted poll (signal) reports nothing readable.
    public static func readable(_ sockets: [ZSocket], timeoutMs: Int) throws(ZmqError) -> [Bool] {
        var items = sockets.map { zmq_pollitem_t(socket: $0.raw, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0) }
        let rc = items.withUnsafeMutableBufferPointer { zmq_poll($0.baseAddress, Int32($0.count), timeoutMs) }
        if rc == -1 {
            let e = ZmqError.last("poll")
            if e.code == EINTR { return Array(repeating: false, count: sockets.count) }
            throw e
        }
        return items.map { $0.revents & Int16(ZMQ_POLLIN) != 0 }
    }
}
