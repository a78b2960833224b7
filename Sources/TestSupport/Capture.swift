/// The result of `body`, thrown or returned, so that cleanup (stopping a daemon, a process) can run before it is
/// looked at.
public func capture<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
  do { return .success(try await body()) } catch { return .failure(error) }
}
