import ColonyStore
import Foundation
import XCTest

/// Where the MCP server writes exports and backups: a directory of this user's own,
/// never a symbolic link to another place.
final class PrivateDirectoryTests: StoreTestCase {
    func test_createsMissingDirectoriesWithMode0700() throws {
        let target = path + "/work/exports"
        try PrivateDirectory.prepare(target)
        for p in [path, path + "/work", target] {
            let mode = try (FileManager.default.attributesOfItem(atPath: p)[.posixPermissions] as? NSNumber)?.intValue
            XCTAssertEqual(mode, 0o700, p)
        }
    }

    func test_refusesASymbolicLinkInPlaceOfTheDirectory() throws {
        let elsewhere = path + "/elsewhere"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: path + "/work", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: path + "/work/backups", withDestinationPath: elsewhere)
        let error = thrownError { try PrivateDirectory.prepare(self.path + "/work/backups") }
        XCTAssertTrue("\(String(describing: error))".contains("symbolic link"), "\(String(describing: error))")
    }

    func test_acceptsAParentReachedThroughALink() throws {
        let real = path + "/real-store"
        try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: path + "/store", withDestinationPath: real)
        try PrivateDirectory.prepare(path + "/store/work/exports")
        XCTAssertTrue(FileManager.default.fileExists(atPath: real + "/work/exports"), "an operator's linked store directory still works")
    }
}
