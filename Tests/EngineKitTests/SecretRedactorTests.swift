import EngineKit
import Foundation
import TestSupport
import Testing

@Suite("Secrets are taken out of what commands print")
struct SecretRedactorTests {
  @Test(
    "variables named like secrets are secret; places and plain settings are not",
    arguments: [
      ("AWS_SECRET_ACCESS_KEY", true), ("PREFLIGHT_TEST_SECRET", true), ("GITHUB_TOKEN", true), ("DB_PASSWORD", true),
      ("NPM_AUTH", true), ("OPENAI_API_KEY", true), ("SIGNING_KEY", true), ("GITLAB_PAT", true),
      ("DOCKER_AUTH_CONFIG", true), ("SSH_AUTH_SOCK", false), ("XAUTHORITY", false),
      ("GOOGLE_APPLICATION_CREDENTIALS_FILE", false), ("PATH", false), ("HOME", false), ("DOCKER_HOST", false),
      ("KEYBOARD_LAYOUT", false),
    ])
  func names(name: String, secret: Bool) {
    #expect(SecretRedactor.namesSecret(name) == secret)
  }

  @Test("environment values, registry credentials and private keys are replaced; the rest stays")
  func redaction() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    // auth is base64 of "robot:registry-pass-93b1".
    _ = try directory.write(
      #"{"auths": {"registry.example": {"auth": "cm9ib3Q6cmVnaXN0cnktcGFzcy05M2Ix"}, "#
        + #""ghcr.io": {"identitytoken": "ghcr-identity-77c2"}}, "currentContext": "default"}"#, to: "config.json")
    let redactor = SecretRedactor(
      environment: ["AWS_SECRET_ACCESS_KEY": "aws-secret-51d0", "HOME": "/home/someone", "SHORT_TOKEN": "abc"],
      dockerConfigDirectory: directory.path)
    let key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nAbCdEf==\n-----END PRIVATE KEY-----"
    let certificate = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----"
    let text = """
      home=/home/someone aws=aws-secret-51d0 short=abc
      auth=cm9ib3Q6cmVnaXN0cnktcGFzcy05M2Ix password=registry-pass-93b1 token=ghcr-identity-77c2
      \(key)
      \(certificate)
      """
    let redacted = redactor.redact(text)
    for secret in ["aws-secret-51d0", "cm9ib3Q6cmVnaXN0cnktcGFzcy05M2Ix", "registry-pass-93b1", "ghcr-identity-77c2",
      "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "AbCdEf=="]
    {
      #expect(!redacted.contains(secret), "\(secret) in \(redacted)")
    }
    #expect(redacted.contains("home=/home/someone"))
    #expect(redacted.contains("short=abc"))
    #expect(redacted.contains("[redacted private key]"))
    #expect(redacted.contains(certificate))
  }

  @Test(
    "a private key cut by an excerpt is removed up to the cut",
    arguments: [
      "…QEFAASC\nAbCdEf==\n-----END RSA PRIVATE KEY-----\nafter",
      "before\n-----BEGIN EC PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nAbCdEf",
    ])
  func cutKeys(text: String) {
    let redacted = SecretRedactor(secrets: []).redact(text)
    #expect(!redacted.contains("AbCdEf"))
    #expect(redacted.contains("[redacted private key]"))
  }
}
