/// Who provides the container engine. The raw value is stable: reports carry it in `provider`.
public enum Provider: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
  /// dockerd run by the system (systemd, sysvinit, or by hand).
  case dockerEngine = "docker-engine"
  /// dockerd run by a user without root (`dockerd-rootless.sh`).
  case rootlessDocker = "rootless-docker"
  case dockerDesktop = "docker-desktop"
  case podman
  case colima
  case rancherDesktop = "rancher-desktop"
  case orbstack = "orbstack"
  case lima
  /// Docker Engine (docker-ce or docker.io) installed inside a WSL distribution, without Docker Desktop.
  case wslDockerCE = "wsl-docker-ce"

  /// How a person names it.
  public var displayName: String {
    switch self {
    case .dockerEngine: "Docker Engine"
    case .rootlessDocker: "rootless Docker"
    case .dockerDesktop: "Docker Desktop"
    case .podman: "Podman"
    case .colima: "Colima"
    case .rancherDesktop: "Rancher Desktop"
    case .orbstack: "OrbStack"
    case .lima: "Lima"
    case .wslDockerCE: "Docker Engine in WSL"
    }
  }

  public var description: String { displayName }

  /// How to start it, for a person to read (the heal plan runs its own argv). `instance` is a Colima profile or a
  /// Lima instance when one is known.
  public func startHint(on os: HostOS, instance: String? = nil) -> String {
    switch self {
    case .dockerEngine:
      return "sudo systemctl start docker (or, without systemd: sudo service docker start)"
    case .rootlessDocker:
      return "systemctl --user start docker"
    case .dockerDesktop:
      switch os {
      case .macOS: return "docker desktop start (Docker Desktop 4.37 or later), or open -a Docker"
      case .linux: return "docker desktop start, or systemctl --user start docker-desktop"
      case .windows:
        return #"docker desktop start, or run "C:\Program Files\Docker\Docker\Docker Desktop.exe""#
      }
    case .podman:
      return os == .linux
        ? "systemctl --user start podman.socket (as root: systemctl start podman.socket)" : "podman machine start"
    case .colima:
      return instance.map { $0 == "default" ? "colima start" : "colima start --profile \($0)" } ?? "colima start"
    case .rancherDesktop:
      return "rdctl start"
    case .orbstack:
      return "orb start"
    case .lima:
      return "limactl start \(instance ?? "default")"
    case .wslDockerCE:
      return "sudo service docker start"
    }
  }
}
