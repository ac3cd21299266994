import SNNClusterLogic
import Testing

/// Settings validation for both machines: one clear error naming the setting.
@Suite struct LogicConfigurationTests {
    @Test func defaultsMatchTheDesign() throws {
        let coordinator = try CoordinatorConfiguration()
        #expect(coordinator.heartbeatInterval == .seconds(1))
        #expect(coordinator.deadAfter == .seconds(3))
        #expect(coordinator.minWorkers == 1)
        #expect(coordinator.speculateAfter == nil)
        let worker = try WorkerConfiguration(slots: 4)
        #expect(worker.heartbeatInterval == .seconds(1))
        #expect(worker.deadAfter == .seconds(3))
    }

    @Test func invalidCoordinatorSettingsAreNamed() {
        func setting(_ make: () throws(MachineConfigurationError) -> CoordinatorConfiguration) -> String? {
            do {
                _ = try make()
                return nil
            } catch {
                return error.setting
            }
        }
        #expect(setting { () throws(MachineConfigurationError) in try CoordinatorConfiguration(heartbeatInterval: .zero) } == "heartbeatInterval")
        #expect(setting { () throws(MachineConfigurationError) in
            try CoordinatorConfiguration(heartbeatInterval: .seconds(2), deadAfter: .seconds(2))
        } == "deadAfter")
        #expect(setting { () throws(MachineConfigurationError) in try CoordinatorConfiguration(minWorkers: 0) } == "minWorkers")
        #expect(setting { () throws(MachineConfigurationError) in try CoordinatorConfiguration(noWorkRetry: .milliseconds(-1)) } == "noWorkRetry")
        #expect(setting { () throws(MachineConfigurationError) in try CoordinatorConfiguration(speculateAfter: .seconds(-1)) } == "speculateAfter")
        #expect(setting { () throws(MachineConfigurationError) in try CoordinatorConfiguration(maxAttempts: 0) } == "maxAttempts")
        #expect(setting { () throws(MachineConfigurationError) in try CoordinatorConfiguration() } == nil)
    }

    @Test func invalidWorkerSettingsAreNamed() {
        #expect { _ = try WorkerConfiguration(slots: 0) } throws: { ($0 as? MachineConfigurationError)?.setting == "slots" }
        #expect { _ = try WorkerConfiguration(slots: 1, deadAfter: .milliseconds(500)) } throws: {
            ($0 as? MachineConfigurationError)?.setting == "deadAfter"
        }
    }

    @Test func errorDescriptionNamesTheSettingAndTheFix() {
        let error = MachineConfigurationError(setting: "minWorkers", problem: "must be at least 1 (got 0)")
        #expect(error.description == "invalid setting minWorkers: must be at least 1 (got 0)")
    }
}
