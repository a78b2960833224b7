/// This program's name and version, as `initialize` and `--version` report them.
public enum PreflightVersion {
  public static let name = "docker-preflight"
  public static let version = "0.1.0"
  /// The protocol version `initialize` reports; see protocol/README.md for what changes it.
  public static let protocolVersion = "1.1"
}
