import CHDF5
import Glibc

/// A failed HDF5 operation: names the file, the object path inside it and what went wrong (HDF5's innermost
/// error-stack message when it has one). HDF5's own printing of its error stack to stderr is silenced.
public struct HDF5Error: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file on disk.
    public let file: String
    /// The object path inside the file ("/" for the file itself).
    public let path: String
    /// What failed, in words.
    public let message: String

    public init(file: String, path: String, message: String) {
        self.file = file
        self.path = path
        self.message = message
    }

    public var description: String { "\(file): \(path): \(message)" }
}

/// Process-wide serialisation and error-stack handling: one lock keeps concurrent callers (tests run in parallel)
/// from interleaving calls and error-stack reads; every call into the library goes through it.
enum HDF5Library {
    private static let lock = RecursiveLock()

    /// Runs `body` holding the library lock, with HDF5's automatic error printing turned off. Debian builds
    /// libhdf5 thread-safe, where that setting is per thread, so it is set on every entry (a cheap call).
    static func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        _ = H5Eset_auto2(hid_t(0) /* H5E_DEFAULT */, nil, nil)
        return try body()
    }

    /// The innermost description on HDF5's current error stack (the most specific one), then clears the stack.
    static func lastErrorDescription() -> String? {
        final class Box { var text: String? }
        let box = Box()
        let stack = H5Eget_current_stack()
        guard stack >= 0 else { return nil }
        defer { _ = H5Eclose_stack(stack) }
        _ = withExtendedLifetime(box) {
            H5Ewalk2(stack, H5E_WALK_UPWARD, { _, entry, context in
                guard let entry, let context else { return 0 }
                let box = Unmanaged<Box>.fromOpaque(context).takeUnretainedValue()
                if box.text == nil, let desc = entry.pointee.desc { box.text = String(cString: desc) }
                return 0
            }, Unmanaged.passUnretained(box).toOpaque())
        }
        return box.text
    }
}

/// A recursive mutex (pthread), Sendable so it can live in a static.
final class RecursiveLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    init() {
        mutex = .allocate(capacity: 1)
        var attr = pthread_mutexattr_t()
        pthread_mutexattr_init(&attr)
        pthread_mutexattr_settype(&attr, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(mutex, &attr)
        pthread_mutexattr_destroy(&attr)
    }
    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
}
