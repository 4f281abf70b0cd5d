import Foundation
import LMDB
import XCTest

/// A test case with a fresh directory per test for its environments, closed and removed afterwards.
class LMDBTestCase: XCTestCase {
    private(set) var directory: URL!
    private var environments: [Environment] = []

    var path: String { directory.path }

    override func setUpWithError() throws {
        try super.setUpWithError()
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("colony-lmdb-tests-\(UUID().uuidString)", isDirectory: true)
    }

    override func tearDownWithError() throws {
        for env in environments { env.close() }
        environments = []
        try? FileManager.default.removeItem(at: directory)
        try super.tearDownWithError()
    }

    /// Opens an environment in this test's directory (or `path`); it is closed in tearDown.
    func openEnvironment(at path: String? = nil, _ configure: (inout Environment.Options) -> Void = { _ in }) throws -> Environment {
        var options = Environment.Options()
        configure(&options)
        let env = try Environment(path: path ?? self.path, options: options)
        environments.append(env)
        return env
    }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

func bigEndian(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }

/// The key and value of a cursor entry, copied out of the transaction.
func copied(_ entry: Cursor.Entry?) -> (key: [UInt8], value: [UInt8])? {
    entry.map { (Array($0.key), Array($0.value)) }
}

/// Asserts that `body` throws an `LMDBError` with `code`, and returns it.
@discardableResult
func assertLMDBError<T>(_ code: Int32, file: StaticString = #filePath, line: UInt = #line,
                        _ body: () throws -> T) -> LMDBError? {
    do {
        _ = try body()
        XCTFail("expected LMDBError code \(code), but nothing was thrown", file: file, line: line)
        return nil
    } catch let error as LMDBError {
        XCTAssertEqual(error.code, code, "unexpected error: \(error)", file: file, line: line)
        return error
    } catch {
        XCTFail("expected LMDBError code \(code), got \(error)", file: file, line: line)
        return nil
    }
}
