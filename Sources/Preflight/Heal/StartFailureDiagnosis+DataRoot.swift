import EngineKit

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension StartFailureDiagnosis {
  /// Whether dockerd can make and write its data root, and whether the file system under it has room: decided by
  /// `stat`, `access` and `statvfs` of the root or its nearest existing parent, never by the log's wording.
  /// `permissionsApply`: dockerd runs as this process's user, so that `EACCES` here would be `EACCES` for it too.
  func dataRootIssues(path: String, permissionsApply: Bool) -> [HealthReport.Issue] {
    guard path.hasPrefix("/") else { return [] }
    var existing = "/"
    var prefix = ""
    for component in path.split(separator: "/") {
      prefix += "/\(component)"
      var status = stat()
      if stat(prefix, &status) != 0 {
        let number = errno
        if number == ENOENT || (!permissionsApply && (number == EACCES || number == EPERM)) { break }
        return [unwritable(path, at: prefix, errno: number)]
      }
      guard status.st_mode & S_IFMT == S_IFDIR else { return [unwritable(path, at: prefix, errno: ENOTDIR)] }
      existing = prefix
    }
    if permissionsApply, access(existing, W_OK | X_OK) != 0 { return [unwritable(path, at: existing, errno: errno)] }
    var volume = statvfs()
    guard statvfs(existing, &volume) == 0 else { return [] }
    // `access` answers root with success on a read-only bind mount of a writable file system; ST_RDONLY does not.
    if volume.f_flag & UInt(ST_RDONLY) != 0 { return [unwritable(path, at: existing, errno: EROFS)] }
    let free = Int64(volume.f_bavail) * Int64(volume.f_frsize)
    let size = Int64(volume.f_blocks) * Int64(volume.f_frsize)
    let minimum = minimumFreeBytes ?? min(size / 100, 100 << 20)
    let location = existing == path ? path : "\(existing) (where \(path) would be made)"
    if free < minimum {
      return [
        HealthReport.Issue(
          code: "data-root-full",
          message: "Only \(DiskSpaceCheck.format(free)) of \(DiskSpaceCheck.format(size)) is free under the data "
            + "root \(location) (statvfs); dockerd and containerd write their databases there as they start",
          recommendation: "Free space on that file system (remove unused images and volumes from \(path), old logs, "
            + "caches), or move the data root to a larger disk with --data-root or \"data-root\" in daemon.json")
      ]
    }
    if volume.f_files > 0, volume.f_favail == 0 {
      return [
        HealthReport.Issue(
          code: "data-root-full",
          message: "No inodes are left on the file system of the data root \(location) (statvfs: 0 of "
            + "\(volume.f_files) free): nothing new can be created there",
          recommendation: "Remove unused files (images, build cache) from that file system, or move the data root "
            + "with --data-root or \"data-root\" in daemon.json")
      ]
    }
    return []
  }

  private func unwritable(_ path: String, at component: String, errno number: Int32) -> HealthReport.Issue {
    let fix: String =
      switch number {
      case ENOTDIR:
        "\(component) is a file where the data root needs a directory: move it aside, or point --data-root "
          + "(\"data-root\" in daemon.json) elsewhere"
      case EROFS:
        "\(component) is on a read-only file system: remount it read-write (mount -o remount,rw), or point "
          + "--data-root (\"data-root\" in daemon.json) at a writable disk"
      default:
        "Give the user dockerd runs as write access to \(component) (chown/chmod), or point --data-root "
          + "(\"data-root\" in daemon.json) at a directory it owns"
      }
    let subject = component == path ? "\(path)" : "\(component), on the way to \(path),"
    return HealthReport.Issue(
      code: "data-root-unwritable",
      message: "The data root cannot be made or written: \(subject) gives \(errnoName(number))",
      recommendation: fix)
  }
}
