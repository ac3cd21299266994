import Foundation
import SNNCluster
import Testing

/// The worker loop's wake-up (issue 11): a finished computation signals a `WakeSignal`, and the loop's wait on its
/// DEALER socket (`zmq_poll` over the socket and the signal's descriptor) ends on it instead of at a timed poll.
/// Every wait is bounded; verdicts read which of the two became readable, never how long anything took.
@Suite struct WakeSignalTests {
    @Test func aSignalFromAnotherThreadEndsTheWaitOnTheSocketAndClearingResetsIt() throws {
        let ctx = try ZContext()
        let (router, dealer) = try TransportTests.pair(ctx)
        defer { router.close(); dealer.close() }
        let wake = try WakeSignal()
        #expect(try ZPoll.readable(dealer, orFileDescriptor: wake.fd, timeoutMs: 0) == (socket: false, fd: false))
        let thread = Thread { wake.signal(); wake.signal() }   // signals coalesce
        thread.start()
        // Bounded at 60 s: a wake-up that did not work reports neither readable.
        #expect(try ZPoll.readable(dealer, orFileDescriptor: wake.fd, timeoutMs: 60_000) == (socket: false, fd: true))
        #expect(try dealer.receive(timeoutMs: 60_000, wake: wake) == nil)   // woken, no message
        wake.clear()
        #expect(try ZPoll.readable(dealer, orFileDescriptor: wake.fd, timeoutMs: 0) == (socket: false, fd: false))
    }

    @Test func aMessageIsReceivedThroughTheWakeableWait() throws {
        let ctx = try ZContext()
        let (router, dealer) = try TransportTests.pair(ctx)
        defer { router.close(); dealer.close() }
        let wake = try WakeSignal()
        try dealer.sendMultipart([[1, 2, 3]])
        let got = try #require(try router.receive(timeoutMs: 60_000, wake: wake))
        #expect(got.count == 2 && got[1] == [1, 2, 3])
    }
}
