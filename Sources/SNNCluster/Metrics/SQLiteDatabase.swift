import CSQLite
import Foundation

/// A failure of the metrics database, as one line naming the database path: "metrics database 'PATH': ...".
public struct MetricsStoreError: Error, CustomStringConvertible, Sendable, Equatable {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path; self.message = message
    }

    public var description: String { "metrics database '\(path)': \(message)" }
}

/// One value in or out of SQLite.
enum SQLiteValue: Equatable {
    case int(Int64)
    case real(Double)
    case text(String)
    case null
}

/// A thin wrapper over one SQLite connection (C API): open, prepare/bind/step/finalize, transactions.
///
/// Not thread-safe by itself (opened with SQLITE_OPEN_NOMUTEX): the owner serialises calls (`MetricsStore`
/// holds a lock). Prepared statements are cached per SQL text and finalized when the connection closes.
final class SQLiteDatabase {
    let path: String
    private(set) var handle: OpaquePointer?
    private var cache: [String: SQLiteStatement] = [:]

    /// Opens (and with `readOnly == false` creates) the database; sets WAL mode on writable connections and a
    /// busy timeout on all, so readers and the single writer wait for each other instead of failing.
    init(path: String, readOnly: Bool, busyTimeout: Duration = .seconds(5)) throws {
        self.path = path
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let msg = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            if let db { sqlite3_close_v2(db) }
            throw MetricsStoreError(path: path, message: "cannot open\(readOnly ? " read-only" : ""): \(msg)")
        }
        handle = db
        let ms = busyTimeout.components.seconds * 1000 + busyTimeout.components.attoseconds / 1_000_000_000_000_000
        sqlite3_busy_timeout(db, Int32(clamping: ms))
        if !readOnly {
            // Switching a new file to WAL can answer SQLITE_BUSY without calling the busy handler when another
            // connection switches it at the same moment (two coordinators creating one --db): retry for as long as
            // the busy timeout would have waited.
            var mode: SQLiteValue?
            let deadline = ContinuousClock.now + busyTimeout
            while true {
                do { mode = try query("PRAGMA journal_mode=WAL").first?.first; break } catch {
                    guard ContinuousClock.now < deadline, sqlite3_errcode(db) & 0xFF == SQLITE_BUSY else { throw error }
                    usleep(10_000)
                }
            }
            guard mode == .text("wal") else {
                throw MetricsStoreError(path: path, message: "cannot switch to WAL journal mode (got \(String(describing: mode)))")
            }
            try execute("PRAGMA synchronous=NORMAL")
        }
    }

    deinit { close() }

    /// Finalizes every cached statement and closes the connection (idempotent).
    func close() {
        cache.removeAll()  // statements finalize in their deinit
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    /// The connection's latest error as an error value, prefixed with what was being done.
    func failure(_ what: String, _ rc: Int32) -> MetricsStoreError {
        let msg = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
        return MetricsStoreError(path: path, message: "\(what) failed: \(msg) (SQLite code \(rc))")
    }

    /// Runs one or more statements that return no rows.
    func execute(_ sql: String) throws {
        guard let handle else { throw MetricsStoreError(path: path, message: "connection is closed") }
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw failure(String(sql.prefix(60)), rc) }
    }

    /// A (cached) prepared statement for `sql`.
    func prepare(_ sql: String) throws -> SQLiteStatement {
        if let s = cache[sql] { return s }
        guard let handle else { throw MetricsStoreError(path: path, message: "connection is closed") }
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(handle, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw failure("prepare '\(sql.prefix(60))'", rc) }
        let s = SQLiteStatement(db: self, stmt: stmt, sql: sql)
        cache[sql] = s
        return s
    }

    /// Runs a statement with `values` bound to `?1...`, discarding rows.
    func run(_ sql: String, _ values: [SQLiteValue] = []) throws {
        let s = try prepare(sql)
        try s.bind(values)
        defer { s.reset() }
        while try s.step() {}
    }

    /// Runs a query and returns every row.
    func query(_ sql: String, _ values: [SQLiteValue] = []) throws -> [[SQLiteValue]] {
        let s = try prepare(sql)
        try s.bind(values)
        defer { s.reset() }
        var rows: [[SQLiteValue]] = []
        while try s.step() { rows.append(s.row()) }
        return rows
    }

    /// Runs `body` inside BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error): all or nothing, and the write lock is
    /// taken up front so a concurrent writer makes this wait (busy timeout) rather than fail half-way.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let v = try body()
            try execute("COMMIT")
            return v
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }
}

/// A prepared statement owned by its `SQLiteDatabase`; finalized on deinit.
final class SQLiteStatement {
    unowned let db: SQLiteDatabase
    let stmt: OpaquePointer
    let sql: String

    init(db: SQLiteDatabase, stmt: OpaquePointer, sql: String) {
        self.db = db; self.stmt = stmt; self.sql = sql
    }

    deinit { sqlite3_finalize(stmt) }

    /// SQLite's "copy the bytes now" destructor.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    func bind(_ values: [SQLiteValue]) throws {
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
        for (i, v) in values.enumerated() {
            let idx = Int32(i + 1)
            let rc: Int32
            switch v {
            case .int(let x): rc = sqlite3_bind_int64(stmt, idx, x)
            case .real(let x): rc = sqlite3_bind_double(stmt, idx, x)
            case .text(let s): rc = sqlite3_bind_text(stmt, idx, s, -1, Self.transient)
            case .null: rc = sqlite3_bind_null(stmt, idx)
            }
            guard rc == SQLITE_OK else { throw db.failure("bind parameter \(idx) of '\(sql.prefix(60))'", rc) }
        }
    }

    /// Advances; true when a row is available.
    func step() throws -> Bool {
        let rc = sqlite3_step(stmt)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            sqlite3_reset(stmt)
            throw db.failure("'\(sql.prefix(60))'", rc)
        }
    }

    func reset() { sqlite3_reset(stmt) }

    /// The current row's columns.
    func row() -> [SQLiteValue] {
        (0..<sqlite3_column_count(stmt)).map { i in
            switch sqlite3_column_type(stmt, i) {
            case SQLITE_INTEGER: .int(sqlite3_column_int64(stmt, i))
            case SQLITE_FLOAT: .real(sqlite3_column_double(stmt, i))
            case SQLITE_NULL: .null
            default: .text(sqlite3_column_text(stmt, i).map { String(cString: $0) } ?? "")
            }
        }
    }
}

extension SQLiteValue {
    var int64: Int64? {
        switch self {
        case .int(let x): x
        case .real(let x): Int64(exactly: x)
        default: nil
        }
    }
    var int: Int? { int64.map { Int($0) } }
    /// Non-finite reals are stored as the text "nan", "inf" or "-inf" (SQLite would turn a NaN into NULL).
    var double: Double? {
        switch self {
        case .int(let x): Double(x)
        case .real(let x): x
        case .text("nan"): .nan
        case .text("inf"): .infinity
        case .text("-inf"): -.infinity
        default: nil
        }
    }
    var string: String? {
        if case .text(let s) = self { return s }
        return nil
    }
    var date: Date? { double.map { Date(timeIntervalSince1970: $0) } }

    init(_ x: Int64?) { self = x.map { .int($0) } ?? .null }
    init(_ x: Int?) { self = x.map { .int(Int64($0)) } ?? .null }
    init(_ x: Double?) {
        guard let x else { self = .null; return }
        self = x.isNaN ? .text("nan") : x.isInfinite ? .text(x > 0 ? "inf" : "-inf") : .real(x)
    }
    init(_ x: String?) { self = x.map { .text($0) } ?? .null }
    init(_ x: Date?) { self = x.map { .real($0.timeIntervalSince1970) } ?? .null }
}
