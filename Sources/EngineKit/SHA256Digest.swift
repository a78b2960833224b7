import COpenSSL

/// SHA-256 through the system OpenSSL: the docker CLI names a context's folders after the digest of its name.
public enum SHA256Digest {
  /// Lower-case hex, as `digest.FromString(name).Encoded()` writes it.
  public static func hex(of text: String) -> String {
    var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
    var length: UInt32 = 0
    let bytes = Array(text.utf8)
    let succeeded = bytes.withUnsafeBytes { input in
      EVP_Digest(input.baseAddress, input.count, &digest, &length, EVP_sha256(), nil) == 1
    }
    // EVP_Digest with a built-in algorithm fails only when memory runs out.
    precondition(succeeded, "OpenSSL could not compute SHA-256")
    let hexDigits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    text.reserveCapacity(Int(length) * 2)
    for byte in digest.prefix(Int(length)) {
      text.append(hexDigits[Int(byte >> 4)])
      text.append(hexDigits[Int(byte & 0x0f)])
    }
    return String(decoding: text, as: UTF8.self)
  }
}
