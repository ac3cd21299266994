import Foundation
import Testing
import SNNReport
import SNNCluster

/// Chart geometry against values worked out by hand (the default frame's plot area is x 72...624, y 44...268).
@Suite struct ChartGeometryTests {
    @Test func niceTicksRoundOutward() {
        #expect(NiceTicks.step(span: 97, count: 5) == 20)          // 19.4 → 2 × 10
        let d = NiceTicks.domain(0, 97)
        #expect(d.lower == 0 && d.upper == 100)
        #expect(d.ticks == [0, 20, 40, 60, 80, 100])
        let f = NiceTicks.domain(0.13, 0.87)                       // step 0.148 → 0.2
        #expect(f.lower == 0 && abs(f.upper - 1) < 1e-12 && f.ticks.count == 6)
        let single = NiceTicks.domain(5, 5)                         // widened by 10 %: 4.5...5.5, step 0.2
        #expect(abs(single.lower - 4.4) < 1e-9 && abs(single.upper - 5.6) < 1e-9)
    }

    @Test func integerTicksForEpochs() {
        let d = NiceTicks.integerDomain(1, 2)          // never 1.2, 1.4, ...: 1...2 by 1
        #expect(d.ticks == [1, 2])
        #expect(NiceTicks.integerDomain(1, 1).ticks == [1, 2])
        #expect(NiceTicks.integerDomain(1, 30).ticks == [0, 5, 10, 15, 20, 25, 30])
    }

    @Test func linearScaleMapsAndFlips() {
        let x = LinearScale(domain: (0, 10), range: (72, 624))
        #expect(x(5) == 348)
        let y = LinearScale(domain: (0, 2), range: (268, 44))
        #expect(y(1) == 156 && y(2) == 44)
    }

    @Test func linePathBreaksAtNaN() {
        let chart = LineChart(title: "t", xLabel: "x", yLabel: "y",
                              series: [.init(name: "a", points: [(1, 0), (2, 1), (3, .nan), (4, 2)])])
        let (x, y, xt, yt) = chart.scales()!
        // x: 1...4 in steps of 0.5 → x(2) = 72 + 552/3 = 256; y: 0...2 in steps of 0.5 → y(1) = 156.
        #expect(xt.first == 1 && xt.last == 4 && yt == [0, 0.5, 1, 1.5, 2])
        #expect(chart.path(chart.series[0], x: x, y: y) == "M72.00,268.00L256.00,156.00M624.00,44.00")
        let svg = chart.svg(id: "c")
        #expect(svg.contains("d=\"M72.00,268.00L256.00,156.00M624.00,44.00\""))
        #expect(svg.contains(">loss<") == false && svg.contains("<title>t</title>"))
    }

    @Test func stackedBarsEndToEnd() {
        let chart = BarChart(title: "t", valueLabel: "v", seriesNames: ["p", "q"],
                             rows: [.init(label: "A", values: [1, 3]), .init(label: "B", values: [2, 0])], stacked: true)
        // Height 200 → plot y 44...148, band 52; value axis 0...4 → x(v) = 72 + 138 v.
        let (x, ticks) = chart.scale()
        #expect(ticks == [0, 1, 2, 3, 4] && x(4) == 624)
        let r0 = chart.rects(row: 0, x: x)
        #expect(r0.count == 2)
        #expect(abs(r0[0].x - 72) < 1e-9 && abs(r0[0].w - 138) < 1e-9 && abs(r0[0].y - 51.8) < 1e-9 && abs(r0[0].h - 36.4) < 1e-9)
        #expect(abs(r0[1].x - 210) < 1e-9 && abs(r0[1].w - 414) < 1e-9 && r0[1].series == 1)
        let r1 = chart.rects(row: 1, x: x)
        #expect(r1.count == 1 && abs(r1[0].w - 276) < 1e-9 && abs(r1[0].y - 103.8) < 1e-9)
    }

    @Test func groupedBarsShareTheRowBand() {
        let chart = BarChart(title: "t", valueLabel: "v", seriesNames: ["raw", "wire"],
                             rows: [.init(label: "A", values: [4, 2])], stacked: false)
        let (x, _) = chart.scale()
        // One row: band 104 (plot 44...148); two bars of height 0.8 × 104 / 2 = 41.6 from y = 44 + 10.4.
        let r = chart.rects(row: 0, x: x)
        #expect(r.count == 2 && abs(r[0].h - 41.6) < 1e-9 && abs(r[0].y - 54.4) < 1e-9 && abs(r[1].y - 96) < 1e-9)
        #expect(abs(r[0].w - 552) < 1e-9 && abs(r[1].w - 276) < 1e-9)
    }

    @Test func timelineMarksStragglersAndEvents() {
        let spans = [0.0, 1, 2].map { TimelineChart.Span(start: $0, end: $0 + 1, kind: "train", label: "") }
            + [TimelineChart.Span(start: 3, end: 8, kind: "train", label: "slow"),
               TimelineChart.Span(start: 8, end: 9, kind: "requeued", label: "")]
        let chart = TimelineChart(title: "t", xLabel: "s", lanes: [.init(name: "w1", spans: spans,
                                                                           marks: [.init(at: 0, event: "joined", label: ""), .init(at: 9, event: "lost", label: "")])])
        #expect(chart.medians()["train"] == 1)
        let svg = chart.svg(id: "tl")
        #expect(svg.components(separatedBy: "class=\"mb train straggler\"").count == 2)   // one straggler (5 s > 2 × 1 s)
        #expect(svg.components(separatedBy: "class=\"mb train\"").count == 4)
        #expect(svg.contains("class=\"mb requeued\"") && svg.contains("mark lost") && svg.contains("mark joined"))
    }

    @Test func emptyChartsSaySo() {
        #expect(LineChart(title: "t", xLabel: "x", yLabel: "y", series: []).svg(id: "e").contains("no data yet"))
        #expect(ChartFormat.escape("a<b & \"c\"") == "a&lt;b &amp; &quot;c&quot;")
        #expect(ChartFormat.tick(25_000) == "25k" && ChartFormat.tick(0.25) == "0.25" && ChartFormat.tick(3) == "3")
    }
}

/// Raster geometry and the bits-per-spike figures against hand-worked values.
@Suite struct RasterChartTests {
    static func raster(sample: Int, _ spikes: [UInt8], steps: Int, neurons: Int) -> SpikeRasterRecord {
        var bits = [UInt8](repeating: 0, count: (spikes.count + 7) / 8)
        for (i, s) in spikes.enumerated() where s != 0 { bits[i / 8] |= 1 << UInt8(i % 8) }
        return SpikeRasterRecord(epoch: 0, sample: sample, layer: 2, name: "lif1", steps: steps, neurons: neurons,
                                 spikes: spikes.filter { $0 != 0 }.count, bits: bits, wireBytes: 10)
    }

    @Test func ticksSitAtNeuronColumnsAndStepRows() {
        // 2 steps × 4 neurons; spikes at (t0, n1) and (t1, n3).
        let r = Self.raster(sample: 7, [0, 1, 0, 0, 0, 0, 0, 1], steps: 2, neurons: 4)
        let chart = RasterChart(title: "t", rasters: [r])
        // Frame 1240 × 220, plot x 90...1224 (1134 wide), y 44...168 (124 tall, 2 rows of 62).
        let (x, tops, h) = chart.layout()
        #expect(x(0) == 90 && x(4) == 1224 && tops == [44] && h == 62)
        // n1 centre: 90 + 1.5 × 283.5 = 515.25; t0 tick from 44 + 6.2 for 49.6; n3: 90 + 3.5 × 283.5 = 1082.25, t1 from 112.2.
        // One decimal, printf rounding (515.25 and 1082.25 are exact binary halves: to even).
        #expect(chart.path(0, x: x, top: tops[0], rowHeight: h) == "M515.2,50.2v49.6M1082.2,112.2v49.6")
        #expect(r.rates() == [0, 0.5, 0, 0.5])
    }

    @Test func bitsPerSpikeAgainstPackedAndEntropy() {
        // 4 rasters of 2 × 4 cells with 2 spikes each, 10 wire bytes each: p = 8/32 = 0.25.
        let rs = (0..<4).map { Self.raster(sample: $0, [0, 1, 0, 0, 0, 0, 0, 1], steps: 2, neurons: 4) }
        let b = RasterBits.summarize(rs)
        #expect(b.count == 1 && b[0].spikes == 8 && b[0].cells == 32 && b[0].rate == 0.25)
        #expect(b[0].wireBitsPerSpike == 40)                  // 4 × 10 bytes × 8 / 8 spikes
        #expect(b[0].packedBitsPerSpike == 4)                 // 1 / p
        // H(0.25) = 0.25·2 + 0.75·log2(4/3) = 0.811278...; / 0.25 = 3.2451...
        #expect(abs(b[0].entropyBitsPerSpike! - 3.245112497836532) < 1e-12)
    }
}
