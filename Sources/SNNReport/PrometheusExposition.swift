import Foundation
import SNNCluster

/// The run's metrics in the Prometheus text exposition format 0.0.4 (what `/metrics` serves and
/// `snn-coord query --format prometheus` prints). Every sample carries a `run` label; epochs are 1-based.
/// Gauges describe the latest committed step or evaluation; `_total` counters only grow during a run.
public enum PrometheusExposition {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public static func render(_ d: RunReportData) -> String {
        var out = Writer(run: d.run.runID)
        let last = d.steps.last
        out.metric("snn_run_info", .gauge, "The run: name, method and status (value always 1).",
                   [(["name": d.run.name, "method": d.run.method, "status": d.run.status.rawValue], 1)])
        out.metric("snn_epoch", .gauge, "Epoch of the latest committed step, numbered from 1 (0 before the first step).",
                   [([:], Double(last.map { $0.epoch + 1 } ?? 0))])
        out.metric("snn_step", .gauge, "Step within the epoch of the latest committed step, numbered from 1.",
                   [([:], Double(last.map { $0.step + 1 } ?? 0))])
        out.metric("snn_steps_committed_total", .counter, "Optimizer steps committed.", [([:], Double(d.steps.count))])
        out.metric("snn_samples_trained_total", .counter, "Training samples in committed steps.",
                   [([:], Double(d.steps.reduce(0) { $0 + $1.samples }))])
        if let r = last?.samplesPerSec { out.metric("snn_samples_per_second", .gauge, "Training throughput at the latest step (samples/s).", [([:], r)]) }
        if let l = last?.loss { out.metric("snn_loss", .gauge, "Training loss of the latest committed step.", [([:], l)]) }
        if let a = last?.accuracy { out.metric("snn_train_accuracy", .gauge, "Training accuracy (fraction) of the latest committed step.", [([:], a)]) }
        let tests = d.summary.epochs.compactMap { e in e.testAccuracy.map { (e, $0) } }
        if let (e, acc) = tests.last {
            out.metric("snn_test_accuracy", .gauge, "Test accuracy (fraction) of the latest evaluation.", [(["epoch": String(e.epoch + 1)], acc)])
            if let l = e.testLoss { out.metric("snn_test_loss", .gauge, "Test loss of the latest evaluation.", [(["epoch": String(e.epoch + 1)], l)]) }
        }
        let w = d.summary.workers
        out.metric("snn_workers_alive", .gauge, "Workers whose latest membership event is joined (0 once the run ended).",
                   [([:], Double(d.workersAlive))])
        out.metric("snn_worker_events_total", .counter, "Worker membership events by kind.",
                   [(["event": "joined"], Double(w.joined)), (["event": "lost"], Double(w.lost)),
                    (["event": "left"], Double(w.left)), (["event": "refused"], Double(w.refused))])
        out.metric("snn_micro_batches_requeued_total", .counter, "Micro-batches sent back to the queue after their worker died or left.",
                   [([:], Double(d.requeuedMicroBatches))])
        let wire = d.summary.wire.map { t -> ([String: String], WireTotal) in
            let parts = t.kind.split(separator: " ")
            let labels = parts.count == 2 ? ["kind": String(parts[0]), "direction": String(parts[1])] : ["kind": t.kind]
            return (labels, t)
        }
        out.metric("snn_wire_messages_total", .counter, "Messages by kind and direction (coordinator side).", wire.map { ($0.0, Double($0.1.messages)) })
        out.metric("snn_wire_raw_bytes_total", .counter, "Bytes before the codec, by kind and direction.", wire.map { ($0.0, Double($0.1.rawBytes)) })
        out.metric("snn_wire_bytes_total", .counter, "Bytes on the wire after the codec, by kind and direction.", wire.map { ($0.0, Double($0.1.wireBytes)) })
        if let lastEpoch = d.layerSpikes.last?.epoch {
            out.metric("snn_spikes_per_sample", .gauge, "Spikes per test sample per layer at the latest evaluation.",
                       d.layerSpikes.filter { $0.epoch == lastEpoch }.map {
                           (["layer": String($0.spikes.layer), "name": $0.spikes.name], $0.spikes.spikesPerSample)
                       })
        }
        if let e = d.energy {
            out.metric("snn_energy_joules", .gauge, "Energy of the run so far priced under a hardware profile (J), by phase.",
                       e.phaseTotals.map { (["profile": d.profileName, "phase": $0.phase], $0.energyJ) }
                       + [(["profile": d.profileName, "phase": "all"], e.totalJ)])
            if let j = e.inferenceJPerSample {
                out.metric("snn_energy_joules_per_inference_sample", .gauge, "Inference energy per test sample (J).",
                           [(["profile": d.profileName], j)])
            }
        }
        return out.text
    }

    /// A sample value as Prometheus writes floats: shortest round-trip decimal, NaN, +Inf, -Inf.
    public static func value(_ x: Double) -> String {
        if x.isNaN { return "NaN" }
        if x.isInfinite { return x > 0 ? "+Inf" : "-Inf" }
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        return "\(x)"
    }

    /// A label value escaped as the format requires: backslash, double quote and newline.
    public static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    enum Kind: String { case gauge, counter }

    struct Writer {
        let run: String
        var text = ""

        mutating func metric(_ name: String, _ kind: Kind, _ help: String, _ samples: [([String: String], Double)]) {
            guard !samples.isEmpty else { return }
            text += "# HELP \(name) \(help.replacingOccurrences(of: "\\", with: "\\\\"))\n# TYPE \(name) \(kind.rawValue)\n"
            for (labels, v) in samples {
                let all = [("run", run)] + labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
                text += name + "{" + all.map { "\($0.0)=\"\(PrometheusExposition.escape($0.1))\"" }.joined(separator: ",") + "} "
                    + PrometheusExposition.value(v) + "\n"
            }
        }
    }
}
