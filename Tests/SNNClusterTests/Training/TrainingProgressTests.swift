import Testing
import SNNCluster

@Suite struct TrainingProgressTests {
    @Test func barFillsInProportionAndClamps() {
        #expect(Progress.bar(0.5, width: 10) == "[#####-----]")
        #expect(Progress.bar(0.19, width: 10) == "[#---------]")      // 1.9 cells: whole cells only
        #expect(Progress.bar(1.5, width: 4) == "[####]" && Progress.bar(-1, width: 4) == "[----]")
        #expect(Progress.bar(.nan, width: 3) == "[---]")
    }
}
