/// The pure cluster logic (state machines, plans, run schedule, messages) is a target of its own so the compiler
/// keeps it free of sockets, files, clocks and threads (DESIGN.md, "Targets"). SNNCluster re-exports it: the shells,
/// the executables and the shell tests speak of `CoordinatorMachine`, `WorkItem` or `Instant` through one
/// `import SNNCluster`, as before the split.
@_exported import SNNClusterLogic
