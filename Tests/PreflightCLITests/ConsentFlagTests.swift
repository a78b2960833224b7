import ArgumentParser
@testable import PreflightCLI
import Testing

/// Every command that can heal takes consent as `--yes`, and each is covered by the integration test that proves it
/// heals only with consent (SecurityTests.consent): a new healing command (`exec --heal`, the docker-path shim) fails
/// here until it is added there.
@Suite("Consent on every healing command")
struct ConsentFlagTests {
  /// The commands SecurityTests.consent drives without consent.
  static let coveredByConsentTests: Set<String> = ["heal", "wait", "exec"]

  @Test("every command that takes --yes is one the consent tests cover")
  func everyHealingCommandIsCovered() {
    let healing = DockerPreflightCommand.configuration.subcommands.filter { command in
      command.helpMessage().contains("--yes")
    }.map { $0.configuration.commandName ?? "" }
    #expect(!healing.isEmpty)
    #expect(Set(healing) == Self.coveredByConsentTests, "commands taking --yes: \(healing)")
  }
}
