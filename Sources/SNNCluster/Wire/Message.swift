/// One protocol message (PROTOCOL.md §4–5). The run id travels in the header, beside the message.
public enum Message: Sendable, Equatable {
    case hello(Hello)
    case welcome(Welcome)
    case refuse(Refusal)
    case requestWork(WorkRequest)
    case work(WorkAssignment)
    case noWork(NoWork)
    case result(WorkResult)
    case heartbeat(Heartbeat)
    case bye(Bye)
    case error(ErrorReply)
    case spikeRaster(SpikeRaster)
    case workFailed(WorkFailed)

    /// The header type of this message.
    public var kind: MessageKind {
        switch self {
        case .hello: .hello
        case .welcome: .welcome
        case .refuse: .refuse
        case .requestWork: .requestWork
        case .work: .work
        case .noWork: .noWork
        case .result: .result
        case .heartbeat: .heartbeat
        case .bye: .bye
        case .error: .error
        case .spikeRaster: .spikeRaster
        case .workFailed: .workFailed
        }
    }
}
