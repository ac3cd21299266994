import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file descriptor that compute threads make readable to wake the worker's loop out of its wait on the socket
/// (the read end of a non-blocking pipe): the loop notices a finished computation the moment it ends instead of at
/// the next timed poll. `signal()` is safe from any thread; `clear()` belongs to the loop.
public final class WakeSignal: @unchecked Sendable {
    /// Readable while signalled.
    public let fd: Int32
    private let writeEnd: Int32

    public init() throws {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else {
            throw SetupError("cannot create a pipe to wake the worker's loop: \(String(cString: strerror(errno)))")
        }
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        fd = ends[0]; writeEnd = ends[1]
    }

    deinit { Glibc.close(fd); Glibc.close(writeEnd) }

    /// Makes `fd` readable (a full pipe is readable already, so a failed write loses nothing).
    public func signal() {
        var one: UInt8 = 1
        _ = Glibc.write(writeEnd, &one, 1)
    }

    /// Makes `fd` unreadable again; call before looking at what the signallers left.
    public func clear() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while Glibc.read(fd, &buffer, buffer.count) > 0 {}
    }
}
