import Testing
import SNNCluster

/// `ExactSum.total(of:count:threads:)`, the commit's split sum, against adding the contributions one by one.
@Suite struct ExactSumThreadsTests {
    static func contributions(_ k: Int, count: Int, seed: UInt64) -> [[Int64]] {
        var s = seed
        return (0..<k).map { _ in
            (0..<count).map { _ in
                s = s &* 6364136223846793005 &+ 1442695040888963407
                return Int64(bitPattern: s) >> 20   // ±2^43: sums of a few never overflow
            }
        }
    }

    @Test func everySplitGivesTheSequentialSum() throws {
        let n = 100_003
        let parts = Self.contributions(3, count: n, seed: 7)
        var sequential = ExactSum(count: n)
        for p in parts { try sequential.add(encoded: p) }
        for threads in [1, 2, 3, 8] {
            let total = try ExactSum.total(of: parts, count: n, threads: threads)
            #expect(total == sequential, "threads \(threads)")
            #expect(total.value(times: 1.0 / 384, threads: threads).map(\.bitPattern)
                    == sequential.value(times: 1.0 / 384).map(\.bitPattern))
        }
        #expect(try ExactSum.total(of: [], count: 5, threads: 2) == ExactSum(count: 5))
    }

    @Test func anOverflowIsReportedAtTheElementTheSequentialSumNames() throws {
        let n = 100_003
        var parts = Self.contributions(3, count: n, seed: 11)
        // Contribution 1 overflows late in the vector, contribution 2 early: adding in order meets contribution 1's first.
        parts[0][90_000] = .max - 5; parts[1][90_000] = 10
        parts[0][10] = .min + 3; parts[1][10] = 0; parts[2][10] = -4
        var sequential = ExactSum(count: n)
        var expected = ""
        do { for p in parts { try sequential.add(encoded: p) } } catch { expected = error.description }
        #expect(expected.hasSuffix("element 90000"))
        for threads in [1, 2, 3] {
            #expect(throws: ExactSumError.self) { _ = try ExactSum.total(of: parts, count: n, threads: threads) }
            do { _ = try ExactSum.total(of: parts, count: n, threads: threads) } catch { #expect(error.description == expected) }
        }
    }

    @Test func aContributionOfAnotherLengthIsRefused() {
        #expect(throws: ExactSumError.self) { _ = try ExactSum.total(of: [[1, 2], [3]], count: 2, threads: 2) }
    }
}
