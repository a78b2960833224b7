import EngineKit
import JSON

/// Engine answers recorded from real providers (trimmed to the fields detection reads, values as they were sent), for
/// fixture tests of what this machine cannot run.
enum RecordedEngineAnswers {
  /// Debian 12's docker.io 20.10.24 (recorded here from a private dockerd): no platform name, component `Engine`.
  static let debianVersion = """
    {"Platform":{"Name":""},"Components":[{"Name":"Engine","Version":"20.10.24+dfsg1","Details":{"ApiVersion":"1.41",\
    "MinAPIVersion":"1.12","Os":"linux"}},{"Name":"containerd","Version":"1.6.20~ds1"}],"Version":"20.10.24+dfsg1",\
    "ApiVersion":"1.41","MinAPIVersion":"1.12","Os":"linux","Arch":"amd64","KernelVersion":"6.1.0-18-amd64"}
    """
  static let debianInfo = """
    {"ID":"DSAK:ASRU","Containers":0,"Driver":"overlay2","DockerRootDir":"/var/lib/docker","Name":"build-host",\
    "OperatingSystem":"Debian GNU/Linux 12 (bookworm)","OSType":"linux","Architecture":"x86_64","NCPU":2,\
    "MemTotal":25276063744,"KernelVersion":"6.1.0-18-amd64","ServerVersion":"20.10.24+dfsg1",\
    "SecurityOptions":["name=seccomp,profile=default"],"Labels":[]}
    """
  /// docker-ce's packages name the platform.
  static let communityVersion = """
    {"Platform":{"Name":"Docker Engine - Community"},"Components":[{"Name":"Engine","Version":"27.3.1"}],\
    "Version":"27.3.1","ApiVersion":"1.47","MinAPIVersion":"1.24","Os":"linux","Arch":"amd64"}
    """
  /// dockerd-rootless.sh on Ubuntu: the only sign is the security option.
  static let rootlessInfo = """
    {"Name":"workstation","OperatingSystem":"Ubuntu 22.04.4 LTS","OSType":"linux","Architecture":"x86_64",\
    "DockerRootDir":"/home/dev/.local/share/docker","Driver":"overlay2","KernelVersion":"6.5.0-35-generic",\
    "SecurityOptions":["name=seccomp,profile=builtin","name=rootless","name=cgroupns"],"CgroupDriver":"systemd",\
    "CgroupVersion":"2","NCPU":8,"MemTotal":33325146112}
    """
  /// Docker Desktop 4.37.1 on macOS (Apple silicon).
  static let desktopVersion = """
    {"Platform":{"Name":"Docker Desktop 4.37.1 (178610)"},"Components":[{"Name":"Engine","Version":"27.4.0"}],\
    "Version":"27.4.0","ApiVersion":"1.47","MinAPIVersion":"1.24","Os":"linux","Arch":"arm64",\
    "KernelVersion":"6.10.14-linuxkit"}
    """
  static let desktopInfo = """
    {"Name":"docker-desktop","OperatingSystem":"Docker Desktop","OSType":"linux","Architecture":"aarch64",\
    "KernelVersion":"6.10.14-linuxkit","DockerRootDir":"/var/lib/docker","Driver":"overlayfs",\
    "SecurityOptions":["name=seccomp,profile=unconfined","name=cgroupns"],"NCPU":10,"MemTotal":8218378240,\
    "Labels":["com.docker.desktop.address=unix:///Users/dev/Library/Containers/com.docker.docker/Data/docker-cli.sock"]}
    """
  /// Podman 4.3.1 (recorded here from `podman system service`): platform name is an OS triple, `Labels` is null,
  /// no `SecurityOptions`.
  static let podmanVersion = """
    {"Platform":{"Name":"linux/amd64/debian-12"},"Components":[{"Name":"Podman Engine","Version":"4.3.1",\
    "Details":{"APIVersion":"4.3.1","MinAPIVersion":"4.0.0","Os":"linux"}},{"Name":"Conmon","Version":"conmon version 2.1.6"}],\
    "Version":"4.3.1","ApiVersion":"1.41","MinAPIVersion":"1.24","Os":"linux","Arch":"amd64"}
    """
  static let podmanInfo = """
    {"ID":"53432559-dcaf-4b02-adfa-0233e546034a","Containers":0,"Driver":"vfs","DriverStatus":[],\
    "KernelVersion":"6.18.44-fc-v782","OperatingSystem":"debian","OSVersion":"12","OSType":"linux",\
    "Architecture":"amd64","NCPU":2,"MemTotal":25276063744,"DockerRootDir":"/tmp/pm.oeQa/root","Name":"vm",\
    "Labels":null,"ExperimentalBuild":true,"ServerVersion":"4.3.1"}
    """
  static let colimaInfo = """
    {"Name":"colima","OperatingSystem":"Ubuntu 24.04.1 LTS","KernelVersion":"6.8.0-50-generic",\
    "DockerRootDir":"/var/lib/docker","SecurityOptions":["name=apparmor","name=seccomp,profile=builtin","name=cgroupns"]}
    """
  static let colimaProfileInfo = """
    {"Name":"colima-work","OperatingSystem":"Ubuntu 24.04.1 LTS","DockerRootDir":"/var/lib/docker"}
    """
  static let orbStackInfo = """
    {"Name":"orbstack","OperatingSystem":"OrbStack","KernelVersion":"6.12.5-orbstack-00287-gf8da5d508983",\
    "DockerRootDir":"/var/lib/docker"}
    """
  /// Rancher Desktop's VM is a Lima instance, so its name starts like Lima's.
  static let rancherInfo = """
    {"Name":"lima-rancher-desktop","OperatingSystem":"Alpine Linux v3.20","DockerRootDir":"/var/lib/docker"}
    """
  static let rancherWindowsInfo = """
    {"Name":"DESKTOP-7QK2","OperatingSystem":"Rancher Desktop WSL Distribution","DockerRootDir":"/var/lib/docker"}
    """
  static let limaInfo = """
    {"Name":"lima-default","OperatingSystem":"Ubuntu 24.04.1 LTS","DockerRootDir":"/var/lib/docker"}
    """
  /// docker-ce installed in an Ubuntu WSL 2 distribution.
  static let wslInfo = """
    {"Name":"DESKTOP-7QK2","OperatingSystem":"Ubuntu 22.04.4 LTS","KernelVersion":"5.15.153.1-microsoft-standard-WSL2",\
    "DockerRootDir":"/var/lib/docker","SecurityOptions":["name=seccomp,profile=builtin"]}
    """

  static func version(_ text: String) throws -> EngineVersion {
    try JSONValueDecoder().decode(EngineVersion.self, from: try JSONValue.parse(text))
  }

  static func info(_ text: String) throws -> SystemInfo {
    try JSONValueDecoder().decode(SystemInfo.self, from: try JSONValue.parse(text))
  }

  /// `_ping`'s headers as ``PingResult`` carries them.
  static func ping(apiVersion: String = "1.41", libpod: String? = nil) throws -> PingResult {
    var object: JSONObject = ["apiVersion": .string(apiVersion), "osType": "linux"]
    if let libpod { object["libpodAPIVersion"] = .string(libpod) }
    return try JSONValueDecoder().decode(PingResult.self, from: .object(object))
  }
}
