import EngineKit
import Preflight

/// Renders a ``HealthReport`` for people.
struct ReportRenderer {
  func render(_ report: HealthReport) -> String {
    var lines: [String] = []
    let mark = report.healthy ? "✔" : "✘"
    let headline =
      switch report.status {
      case .ready: "engine ready"
      case .degraded: "engine degraded"
      case .starting: "engine starting"
      case .unreachable: "engine unreachable"
      case .hung: "engine hung"
      }
    lines.append("\(mark) \(headline) at \(report.endpoint.host) (\(report.endpoint.source))")
    if let provider = report.provider {
      lines.append("  provider: \(Provider(rawValue: provider)?.displayName ?? provider)")
    }
    if let engine = report.engine {
      let platform = [engine.os, engine.arch].compactMap { $0 }.joined(separator: "/")
      lines.append(
        "  \(engine.product) \(engine.version), API \(engine.apiVersion)\(platform.isEmpty ? "" : ", \(platform)")")
    }
    for check in report.checks {
      let symbol =
        switch check.status {
        case .pass: "✔"
        case .warn: "!"
        case .fail: "✘"
        case .skip: "-"
        }
      let id = check.id.padding(toLength: 14)
      lines.append("  \(symbol) \(id) \(check.summary)")
    }
    for issue in report.issues {
      lines.append("")
      lines.append("\(issue.code): \(issue.message)")
      lines.append("  → \(issue.recommendation)")
    }
    return lines.joined(separator: "\n") + "\n"
  }
}

extension ReportRenderer {
  /// `checks` (those that warn or fail) and the report's issues: what a command about to run should know.
  func renderFindings(_ report: HealthReport, of checks: [HealthReport.Check]) -> String {
    var lines: [String] = []
    for check in checks {
      lines.append("\(check.status == .fail ? "✘" : "!") \(check.id.padding(toLength: 24)) \(check.summary)")
    }
    for issue in report.issues {
      lines.append("\(issue.code): \(issue.message)")
      lines.append("  → \(issue.recommendation)")
    }
    return lines.joined(separator: "\n") + "\n"
  }
}

extension String {
  func padding(toLength length: Int) -> String {
    count >= length ? self : self + String(repeating: " ", count: length - count)
  }
}
