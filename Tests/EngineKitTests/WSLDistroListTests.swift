import EngineKit
import Testing

@Suite("wsl.exe -l -v output")
struct WSLDistroListTests {
  static let listing = """
      NAME                   STATE           VERSION
    * Ubuntu-22.04           Running         2
      docker-desktop         Running         2
      Legacy                 Stopped         1

    """

  static func utf16LittleEndian(_ text: String, byteOrderMark: Bool) -> [UInt8] {
    (byteOrderMark ? [0xFF, 0xFE] : []) + text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
  }

  @Test(
    "UTF-16LE with or without a BOM, and UTF-8 (WSL_UTF8=1), parse the same",
    arguments: [
      ("UTF-16LE with BOM", utf16LittleEndian(listing.replacingNewlines, byteOrderMark: true)),
      ("UTF-16LE without BOM", utf16LittleEndian(listing.replacingNewlines, byteOrderMark: false)),
      ("UTF-8", Array(listing.utf8)),
    ])
  func encodings(_ name: String, _ bytes: [UInt8]) {
    let distros = WSLDistroList.parse(bytes)
    #expect(
      distros == [
        WSLDistro(name: "Ubuntu-22.04", state: "Running", version: 2, isDefault: true),
        WSLDistro(name: "docker-desktop", state: "Running", version: 2),
        WSLDistro(name: "Legacy", state: "Stopped", version: 1),
      ], "\(name)")
  }

  @Test("a localized header is skipped by its shape")
  func localizedHeader() {
    let distros = WSLDistroList.parse(text: "  NAME      STATUS      VERSION\r\n* Debian    Beendet     2\r\n")
    #expect(distros == [WSLDistro(name: "Debian", state: "Beendet", version: 2, isDefault: true)])
    #expect(distros.first?.isRunning == false)
  }
}

extension String {
  /// wsl.exe ends lines with CRLF.
  fileprivate var replacingNewlines: String {
    split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n")
  }
}
