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

    /// Whether `socket` has a message to read and whether the file descriptor `fd` is readable, waiting at most
    /// `timeoutMs` for either (-1 = forever, 0 = check). An interrupted poll reports neither.
    public static func readable(_ socket: ZSocket, orFileDescriptor fd: Int32, timeoutMs: Int) throws(ZmqError)
        -> (socket: Bool, fd: Bool)
    {
        var items = [zmq_pollitem_t(socket: socket.raw, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0),
                     zmq_pollitem_t(socket: nil, fd: fd, events: Int16(ZMQ_POLLIN), revents: 0)]
        let rc = items.withUnsafeMutableBufferPointer { zmq_poll($0.baseAddress, 2, timeoutMs) }
        if rc == -1 {
            let e = ZmqError.last("poll")
            if e.code == EINTR { return (false, false) }
            throw e
        }
        return (items[0].revents & Int16(ZMQ_POLLIN) != 0, items[1].revents & Int16(ZMQ_POLLIN) != 0)
    }
}
