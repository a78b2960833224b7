import EngineKit
import JSON
import Testing

@Suite("/info is read leniently")
struct SystemInfoTests {
  @Test("Podman's answer (null Labels, no SecurityOptions) decodes with what it has")
  func podman() throws {
    let info = try RecordedEngineAnswers.info(RecordedEngineAnswers.podmanInfo)
    #expect(info.serverVersion == "4.3.1")
    #expect(info.operatingSystem == "debian")
    #expect(info.driver == "vfs")
    #expect(info.ncpu == 2)
    #expect(info.memTotal == 25_276_063_744)
    #expect(info.labels == [])
    #expect(info.securityOptions == [])
    #expect(info.isRootless == false)
    #expect(info.dockerRootDir == "/tmp/pm.oeQa/root")
  }

  @Test("rootless is read from SecurityOptions' name= parts")
  func rootless() throws {
    let info = try RecordedEngineAnswers.info(RecordedEngineAnswers.rootlessInfo)
    #expect(info.securityOptionNames == ["seccomp", "rootless", "cgroupns"])
    #expect(info.isRootless)
    #expect(info.cgroupVersion == "2")
  }

  @Test("a field of an unexpected type is dropped, not fatal; a body that is not an object is refused")
  func lenient() throws {
    let info = try JSONValueDecoder().decode(
      SystemInfo.self,
      from: try JSONValue.parse(
        #"{"NCPU":"eight","Name":7,"OperatingSystem":"X","SecurityOptions":[1,"name=rootless"]}"#))
    #expect(info.ncpu == nil)
    #expect(info.name == nil)
    #expect(info.operatingSystem == "X")
    #expect(info.isRootless)
    #expect(throws: (any Error).self) {
      try JSONValueDecoder().decode(SystemInfo.self, from: try JSONValue.parse("[]"))
    }
  }
}
