import Foundation
import Testing
import SNNCluster

/// The `scripts/bench --peers` summary against ratios worked out by hand.
@Suite struct PeerComparisonTests {
    /// Three rounds of W1 (ours and two peers) and two of W2 (one peer missing a figure in round 2).
    static let fixture = """
    {"round":1,"framework":"snn-cluster","workload":"w1-mlp","train_samples_per_s":9000,"inference_samples_per_s":80000,"peak_rss_mib":300}
    {"round":1,"framework":"snntorch","workload":"w1-mlp","train_samples_per_s":3000,"inference_samples_per_s":5000,"peak_rss_mib":780}
    {"round":1,"framework":"spikingjelly","workload":"w1-mlp","train_samples_per_s":3600,"inference_samples_per_s":8000,"peak_rss_mib":790}

    {"round":2,"framework":"snn-cluster","workload":"w1-mlp","train_samples_per_s":12000,"inference_samples_per_s":60000,"peak_rss_mib":310}
    {"round":2,"framework":"snntorch","workload":"w1-mlp","train_samples_per_s":4000,"inference_samples_per_s":6000,"peak_rss_mib":775}
    {"round":2,"framework":"spikingjelly","workload":"w1-mlp","train_samples_per_s":2000,"inference_samples_per_s":4000,"peak_rss_mib":800}
    {"round":3,"framework":"snn-cluster","workload":"w1-mlp","train_samples_per_s":6000,"inference_samples_per_s":70000,"peak_rss_mib":320}
    {"round":3,"framework":"snntorch","workload":"w1-mlp","train_samples_per_s":3000,"inference_samples_per_s":7000,"peak_rss_mib":800}
    {"round":3,"framework":"spikingjelly","workload":"w1-mlp","train_samples_per_s":1000,"inference_samples_per_s":10000,"peak_rss_mib":640}
    {"round":1,"framework":"snn-cluster","workload":"w2-conv","train_samples_per_s":900,"inference_samples_per_s":2000,"peak_rss_mib":500}
    {"round":1,"framework":"snntorch","workload":"w2-conv","train_samples_per_s":200,"inference_samples_per_s":500,"peak_rss_mib":1300}
    {"round":2,"framework":"snn-cluster","workload":"w2-conv","train_samples_per_s":1000,"inference_samples_per_s":2500,"peak_rss_mib":400}
    {"round":2,"framework":"snntorch","workload":"w2-conv","train_samples_per_s":250,"inference_samples_per_s":500,"peak_rss_mib":1000}
    {"round":2,"framework":"spikingjelly","workload":"w2-conv","train_samples_per_s":null,"inference_samples_per_s":1000,"peak_rss_mib":1600}
    """

    @Test func medianIsTheMiddleOrTheMeanOfTheTwoMiddles() {
        #expect(PeerComparison.median([3, 1, 2]) == 2)
        #expect(PeerComparison.median([4, 1, 3, 2]) == 2.5)
        #expect(PeerComparison.median([7]) == 7)
    }

    @Test func ratiosAreToTheBetterPeerOfTheSameRound() throws {
        let lines = PeerComparison.summarize(try PeerComparison.parse(Self.fixture))
        func line(_ w: String, _ m: PeerComparison.Metric) -> PeerComparison.Line? {
            lines.first { $0.workload == w && $0.metric == m }
        }
        #expect(lines.count == 6)
        // W1 train: better peer per round 3600 (SJ), 4000 (snnTorch), 3000 (snnTorch);
        // ratios 9000/3600 = 2.5, 12000/4000 = 3, 6000/3000 = 2 -> median 2.5 [2 - 3].
        let t = try #require(line("w1-mlp", .train))
        #expect(t.ratioMedian == 2.5 && t.ratioLowest == 2 && t.ratioHighest == 3 && t.rounds == 3)
        #expect(t.oursMedian == 9000 && t.peerMedian == 3600 && t.betterPeers == ["snntorch", "spikingjelly"])
        // W1 inference: better 8000, 6000, 10000; ratios 10, 10, 7 -> median 10 [7 - 10].
        let i = try #require(line("w1-mlp", .inference))
        #expect(i.ratioMedian == 10 && i.ratioLowest == 7 && i.ratioHighest == 10)
        #expect(i.peerMedian == 8000)
        // W1 peak RSS: the better peer is the SMALLER one: 780, 775, 640; ratios 300/780, 310/775 = 0.4, 320/640 = 0.5.
        let r = try #require(line("w1-mlp", .peakRSS))
        #expect(r.ratioMedian == 0.4 && r.ratioLowest == 300.0 / 780 && r.ratioHighest == 0.5)
        #expect(r.peerMedian == 775 && r.betterPeers == ["snntorch", "spikingjelly"])
        // W2 train, two rounds (SpikingJelly has no train figure in round 2): 900/200 = 4.5, 1000/250 = 4 -> 4.25.
        let w2 = try #require(line("w2-conv", .train))
        #expect(w2.rounds == 2 && w2.ratioMedian == 4.25 && w2.ratioLowest == 4 && w2.ratioHighest == 4.5)
        #expect(w2.oursMedian == 950 && w2.peerMedian == 225 && w2.betterPeers == ["snntorch"])
        // W2 inference: 2000/500 = 4, 2500/1000 = 2.5 (SpikingJelly better in round 2) -> 3.25.
        let w2i = try #require(line("w2-conv", .inference))
        #expect(w2i.ratioMedian == 3.25 && w2i.betterPeers == ["snntorch", "spikingjelly"])
        // W2 RSS: 500/1300, 400/1000 = 0.4.
        let w2r = try #require(line("w2-conv", .peakRSS))
        #expect(w2r.ratioHighest == 0.4 && w2r.ratioLowest == 500.0 / 1300)
    }

    @Test func tableAndJSONCarryTheSameFigures() throws {
        let lines = PeerComparison.summarize(try PeerComparison.parse(Self.fixture))
        let table = PeerComparison.table(lines)
        #expect(table.contains("| snn-cluster | w1-mlp | train_samples_per_s | 9,000 | 3,600 (snntorch, spikingjelly) | 2.50x [2.00 - 3.00] | 3 |"))
        #expect(table.contains("| snn-cluster | w2-conv | peak_rss_mib | 450 | 1,150 (snntorch) | 0.39x [0.38 - 0.40] | 2 |"))
        let json = PeerComparison.json(lines)
        #expect(!json.contains("\n"))
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let w1 = try #require((obj["peer_ratios"] as? [String: Any])?["w1-mlp"] as? [String: Any])
        let rss = try #require(w1["peak_rss_mib"] as? [String: Any])
        #expect(rss["lowest"] as? Double == 0.385 && rss["median"] as? Double == 0.4 && rss["rounds"] as? Int == 3)
    }

    @Test func anotherBuildOfOursIsSummarisedSeparatelyAndNeverCountsAsAPeer() throws {
        // A baseline build faster than every peer must not become round 1's "better peer" of W2 training.
        let extra = """
        {"round":1,"framework":"snn-cluster-before","workload":"w2-conv","train_samples_per_s":450,"inference_samples_per_s":1000,"peak_rss_mib":800}
        {"round":2,"framework":"snn-cluster-before","workload":"w2-conv","train_samples_per_s":400,"inference_samples_per_s":1500,"peak_rss_mib":900}
        """
        let lines = PeerComparison.summarize(try PeerComparison.parse(Self.fixture + "\n" + extra))
        let ours = try #require(lines.first { $0.build == "snn-cluster" && $0.workload == "w2-conv" && $0.metric == .train })
        #expect(ours.ratioMedian == 4.25)
        // Before: 450/200 = 2.25, 400/250 = 1.6 -> median 1.925; inference 1000/500 = 2, 1500/1000 = 1.5 -> 1.75.
        let before = lines.filter { $0.build == "snn-cluster-before" }
        #expect(before.count == 3 && lines.first?.build == "snn-cluster")
        #expect(before.first { $0.metric == .train }?.ratioMedian == 1.925)
        #expect(before.first { $0.metric == .inference }?.ratioMedian == 1.75)
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(PeerComparison.json(lines).utf8)) as? [String: Any])
        #expect(obj["peer_ratios"] != nil && obj["snn-cluster-before"] != nil)
    }

    @Test func aLineThatIsNotABenchmarkObjectIsNamed() {
        #expect(throws: PeerComparison.SummaryError.self) { try PeerComparison.parse("{\"round\":1}\n") }
        let err = try? PeerComparison.parse("\nnot json\n")
        #expect(err == nil)
        do { _ = try PeerComparison.parse("\nnot json\n") } catch {
            #expect("\(error)".contains("line 2"))
        }
    }
}
